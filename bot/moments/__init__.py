"""Moments tasks (客户朋友圈 企业发表)."""
