//! The alerts-over-time chart, drawn as SVG on the server: no script, no CDN.
