"""The app shell: settings, the Application, update intake, the clock and shared context."""
