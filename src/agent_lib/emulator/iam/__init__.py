"""Identity and access management: SCIM users, service principals, groups and the current user."""
