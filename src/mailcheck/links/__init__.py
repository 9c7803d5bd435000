"""Links in a message: extract them, follow their redirects, check every host met."""
