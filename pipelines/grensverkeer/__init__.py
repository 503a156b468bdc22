"""grensverkeer: cross-border pupil flows for a youth-care region."""
