"""The top: the `kk` command line and the app assembly that composes server, handlers, mocks,
contracts and codegen. Nothing imports it but the entry point and tests."""
