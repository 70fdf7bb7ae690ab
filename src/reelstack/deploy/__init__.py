"""The deployment files, written from the service specs (``reelstack deploy render``).

Every service's :class:`~reelstack.chassis.spec.ServiceSpec` says how it is
deployed (``instances``, ``deploy``); these modules turn the specs into the
committed files, so a new service appears in them with no hand edit:

- :mod:`.layout`: where each instance runs (zones, names, published ports)
  and the volumes services share; the zones and counts are the local
  cluster's defaults, spread the way the supervisor spreads them;
- :mod:`.compose`: ``deploy/compose.yaml`` (one compose service per instance,
  plus the engines, kept here as a template);
- :mod:`.k8s`: ``deploy/k8s/services.yaml`` (one Deployment per service and
  zone, Services for addressable and public services, shared volume claims);
- :mod:`.network`: who may reach whom (the call graph from the specs), as
  ``deploy/k8s/network.yaml`` (NetworkPolicies) and the compose networks;
- :mod:`.secrets`: the secrets made at install (``reelstack deploy secrets``),
  never committed;
- :mod:`.service_table`: the service table of ``docs/architecture.md``,
  between its ``services:begin`` and ``services:end`` markers;
- :mod:`.files`: which file each goes to, and writing or checking them.

All but :mod:`.files` and :mod:`.secrets` are pure functions from specs to text. They live here,
not in the CLI, because the unit tests render with them too, and nothing here
needs the CLI. ``deploy/k8s/engines.yaml`` and ``deploy/k8s/config.yaml``
stay written by hand: they describe the engines, not the services.
"""
