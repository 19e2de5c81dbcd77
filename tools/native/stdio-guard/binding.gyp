{
  "targets": [
    {
      "target_name": "calozoo_stdio_guard",
      "sources": ["stdio_guard.c"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
