"""The core at the bottom: operation-table types, errors and the spec compilers.

Server, mocks, contracts and codegen build on it; it imports none of them (import-linter).
"""
