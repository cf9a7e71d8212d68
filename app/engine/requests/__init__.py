"""One module per request type, and the table that picks the handler of a request."""
