from __future__ import annotations

from rest_framework import permissions

from sesmu.choices import UserKind


class RolePermissions(permissions.DjangoModelPermissions):
    """Model permissions from the caller's roles, reading included.

    Portal customers hold no model permissions: they may only read the
    endpoints that declare `portal_readable`, whose querysets are narrowed to
    their own customer by the selectors."""

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if user.kind == UserKind.PORTAL:
            return request.method in permissions.SAFE_METHODS and getattr(
                view, "portal_readable", False
            )
        if request.method == "POST" and getattr(view, "detail", False):
            # A POST on one record (activate, close...) changes it: it needs
            # the change permission, not the add permission of a create.
            queryset = self._queryset(view)
            perms = self.get_required_permissions("PATCH", queryset.model)
            return user.has_perms(perms)
        return super().has_permission(request, view)


class ActionPermissions(RolePermissions):
    """The model permissions of RolePermissions, except for the actions a
    view lists in `action_permissions`. Each lists what it needs: a tuple of
    permissions (all needed), or a tuple of such tuples (any one of them
    will do, e.g. the order's own technician or a dispatcher). Portal
    customers get nothing from such an API."""

    def has_permission(self, request, view) -> bool:
        required = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if required is None:
            return super().has_permission(request, view)
        user = request.user
        if not user or not user.is_authenticated or user.kind == UserKind.PORTAL:
            return False
        alternatives = (required,) if all(isinstance(name, str) for name in required) \
            else required
        return any(user.has_perms(permissions) for permissions in alternatives)
