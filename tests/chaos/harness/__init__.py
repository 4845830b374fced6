"""What every part of the chaos suite shares: figures, scale, databases, roles, checks."""
