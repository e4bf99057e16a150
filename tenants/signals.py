"""Events of a municipality's life in the installation, for the domain apps to plug into.

``municipality_provisioned(municipality, admin)`` is sent inside the provisioning transaction and
inside the new municipality's schema (``schema_context``): receivers create what a new
municipality starts with (its first board administrator from ``admin``, national tables …). A
receiver that raises ``ValidationError`` undoes the whole provisioning, schema included.
"""

from django.dispatch import Signal

municipality_provisioned = Signal()
