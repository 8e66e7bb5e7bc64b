"""One module per request kind; each defines HANDLER (approvals.registry.KindHandler), registered
in ApprovalsConfig.ready()."""
