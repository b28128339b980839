"""The parts of the ucd daemon (uc_signal/daemon.py is its entry point): start-up and
shutdown (server.py), the SIP services' glue (sip_core.py), the one HTTP server
(http_app.py), metrics, logs, the admin token and the sign-in banner."""
