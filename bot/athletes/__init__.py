"""The athlete domain: questions, parsing, recording check-ins, reminders, history and export."""
