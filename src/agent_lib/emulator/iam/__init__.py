"""Identity and access management: SCIM users, service principals, groups and the current user.

`models.py` the SCIM operations on principals; `scim.py` the SCIM vocabulary (URNs, errors);
`groups.py` workspace groups; `resources.py` principals rendered as SCIM resources; `listing.py`
SCIM filters, sorting, paging and projection; `routes.py` the HTTP routes; `demo.py` the demo's groups.
"""
