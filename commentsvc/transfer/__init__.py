"""Moving comments in and out: importers per format (WordPress WXR, Disqus, Isso, Remark42,
our own export) and the exporter. See docs/export-format.md and the README's Commands."""
