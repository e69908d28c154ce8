"""OAuth for the workspace: discovery, client credentials (oauth-m2m) and token exchange.

Other services give a service principal (an App's) credentials with
`agent_lib.emulator.oauth.models.issue_app_credentials(state, principal_id)`.
"""
