"""Teams: the service coaches' commands call, the session timetable, prompts and summaries."""
