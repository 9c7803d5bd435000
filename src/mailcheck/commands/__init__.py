"""Commands as the library runs them: validate a request, run it on one event loop,
return reports. The CLI only parses options and prints what these return."""
