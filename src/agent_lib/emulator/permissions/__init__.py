"""Workspace object permissions: the generic `/api/2.0/permissions/{type}/{id}` API.

Services make their objects' permissions reachable by declaring their object types in
`agent_lib.emulator.services.SERVICES`; the server registers them (`models.register_object_type`).
"""
