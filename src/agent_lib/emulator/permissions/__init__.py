"""Workspace object permissions: the generic `/api/2.0/permissions/{type}/{id}` API.

Services make their objects' permissions reachable with
`agent_lib.emulator.permissions.models.register_object_type(type, exists)`.
"""
