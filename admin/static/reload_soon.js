// A page while an upkeep job works for it (a voting round opening or closing, an
// announcement's audience being queued; issue 16): look again in 3 seconds. A script, not <meta http-equiv="refresh"> (WCAG 2.2.1: a timed refresh the
// reader cannot stop); the page also has a "Reload" link for readers without scripts.
window.setTimeout(function () { window.location.reload(); }, 3000);
