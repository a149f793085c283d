"""Prompt engineering: templates (system, context, few-shot, variables), lint, runs, versions."""
