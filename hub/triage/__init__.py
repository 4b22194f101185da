"""Auto-triage: suggest a complaint category from the citizen's text, with a confidence.

Import from the submodules (`hub.triage.classifier`, `hub.triage.training`, ...): this package
stays import-light so that `hub.triage.normalize` can be used without loading scikit-learn.
"""
