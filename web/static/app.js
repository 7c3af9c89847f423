// The web console's script: live streams and the command box. No inline script (CSP).
