"""The Open311 GeoReport v2 HTTP edge: routes (server.py) and the JSON and XML formats."""
