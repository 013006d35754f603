"""Developer tools and test-data generators: no pipeline rule takes them as input."""
