"""A thin viewset: an input serializer parses, a service writes, an output
serializer answers. Querysets come from selectors scoped to the caller."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

WRITE_ACTIONS = ("create", "update", "partial_update")


class ServiceAutoSchema(AutoSchema):
    """Writes parse with an input serializer but answer with the output one
    (see `ServiceViewSet.respond`); the schema says so."""

    def get_response_serializers(self):
        view = self.view
        if getattr(view, "action", None) in WRITE_ACTIONS:
            serializer_class = view.detail_serializer_class or view.output_serializer_class
            if serializer_class is not None:
                return serializer_class
        return super().get_response_serializers()


class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    output_serializer_class = None
    detail_serializer_class = None
    create_input_class = None
    update_input_class = None
    schema = ServiceAutoSchema()

    def get_serializer_class(self):
        if self.action == "retrieve" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        if self.action == "create" and self.create_input_class is not None:
            return self.create_input_class
        if self.action in ("update", "partial_update") and self.update_input_class is not None:
            return self.update_input_class
        return self.output_serializer_class

    def respond(self, instance, status_code=status.HTTP_200_OK) -> Response:
        serializer_class = self.detail_serializer_class or self.output_serializer_class
        return Response(serializer_class(instance, context=self.get_serializer_context()).data,
                        status=status_code)

    def parse(self, serializer_class, *, partial: bool = False) -> dict:
        serializer = serializer_class(data=self.request.data, partial=partial,
                                      context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
