"""The HTTP API: FastAPI routers over the same services as the command line."""
