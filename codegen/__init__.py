"""The writers: generated/, the SDKs and Postman from the compiled spec (kkcore). Spec-agnostic."""
