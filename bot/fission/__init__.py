"""Referral fission (裂变): participants invite friends through personal codes, toward a goal."""
