"""Language tools shared by every stage: Korean morphemes, language detection."""
