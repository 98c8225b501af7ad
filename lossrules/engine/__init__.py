"""Engine: load the rule files, evaluate them on a run's facts, rank the findings, give a verdict."""
