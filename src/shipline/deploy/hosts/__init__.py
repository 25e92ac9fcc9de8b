"""Deploying to servers reached over SSH: the transport, remote slots and routers, and the fan-out over hosts."""
