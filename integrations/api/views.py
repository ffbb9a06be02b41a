"""Inbound endpoints for external systems: authenticated by token, signed
with HMAC-SHA256 over timestamp and body, stored raw, answered 202 and
processed once by message id."""

from __future__ import annotations

import json
import time

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations import services, signing
from integrations.inbound_schemas import problem_with
from integrations.models import InboundKindSlug


def _refuse(request, refusal: services.InboundRefused, system=None) -> Response:
    services.inbound_reject(refusal=refusal, system=system,
                            remote=request.META.get("REMOTE_ADDR"))
    return Response({"code": refusal.code, "message": str(refusal)}, status=refusal.status)


class InboundView(APIView):
    """Receive one message from an external system (usage records, service
    alarms, network faults and clears, deployment updates)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="inbound_receive",
        parameters=[
            OpenApiParameter("kind", str, OpenApiParameter.PATH,
                             enum=list(InboundKindSlug.BY_SLUG)),
            OpenApiParameter(signing.HEADER_MESSAGE_ID, str, OpenApiParameter.HEADER,
                             required=True),
            OpenApiParameter(signing.HEADER_TIMESTAMP, str, OpenApiParameter.HEADER,
                             required=True, description="Unix seconds"),
            OpenApiParameter(signing.HEADER_SIGNATURE, str, OpenApiParameter.HEADER,
                             required=True,
                             description="sha256=<hex HMAC-SHA256 of '<timestamp>.<body>'>"),
        ],
        request={"application/json": {"type": "object"}},
        responses={
            202: inline_serializer("InboundAccepted", {
                "id": serializers.IntegerField(), "message_id": serializers.CharField(),
                "status": serializers.CharField()}),
            400: inline_serializer("InboundMalformed", {
                "code": serializers.CharField(), "message": serializers.CharField()}),
            401: inline_serializer("InboundUnauthorized", {
                "code": serializers.CharField(), "message": serializers.CharField()}),
            409: inline_serializer("InboundReplay", {
                "code": serializers.CharField(), "message": serializers.CharField()}),
        },
    )
    def post(self, request, kind: str):
        message_kind = InboundKindSlug.BY_SLUG.get(kind)
        if message_kind is None:
            return Response({"code": "unknown_kind", "message": "Unknown kind of message."},
                            status=status.HTTP_404_NOT_FOUND)
        body = request.body
        header = request.headers.get("Authorization", "")
        token = header[6:].strip() if header.startswith("Token ") else ""
        try:
            system, credentials = services.inbound_authenticate(token=token)
        except services.InboundRefused as refusal:
            return _refuse(request, refusal)
        message_id = request.headers.get(signing.HEADER_MESSAGE_ID, "").strip()
        timestamp = request.headers.get(signing.HEADER_TIMESTAMP, "").strip()
        presented = request.headers.get(signing.HEADER_SIGNATURE, "").strip()
        try:
            age = abs(time.time() - int(timestamp))
        except ValueError:
            age = None
        if not message_id or len(message_id) > 120:
            return _refuse(request, services.InboundRefused(
                401, "missing_message_id", "A message id of 1 to 120 characters is required."),
                system)
        if age is None or age > signing.TOLERANCE_SECONDS:
            return _refuse(request, services.InboundRefused(
                401, "stale_timestamp", "The timestamp is missing or outside the tolerance."),
                system)
        if not any(signing.signature_matches(credential.hmac_secret, timestamp, body, presented)
                   for credential in credentials):
            return _refuse(request, services.InboundRefused(
                401, "bad_signature", "The signature does not match the body."), system)

        try:
            payload = json.loads(body)
            problem = problem_with(message_kind, payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            payload, problem = None, f"The body is not valid JSON: {error}"
        try:
            message = services.inbound_store(system=system, kind=message_kind,
                                             message_id=message_id, body=body,
                                             payload=payload, error=problem)
        except services.InboundRefused as refusal:
            return _refuse(request, refusal, system)
        if problem:
            return Response({"code": "malformed", "message": problem, "id": message.pk},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response({"id": message.pk, "message_id": message.message_id,
                         "status": message.status}, status=status.HTTP_202_ACCEPTED)
