"""The site's constants that Paydesk shares (utils/constants.py of the course)."""

CREDIT_TO_MONEY = 10  # 10 credits = ¥1
ORDER_TIMEOUT = 15 * 60  # seconds before an unpaid order times out
DEFAULT_USER_AVATAR = "avatar/2026/avatar.jpg"
