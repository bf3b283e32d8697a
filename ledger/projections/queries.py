"""Point-in-time queries over the read models (filled in by the projections work)."""


def budget_rows(connection, **kwargs):
    raise NotImplementedError


commitment_rows = share_rows = compliance_rows = budget_rows
