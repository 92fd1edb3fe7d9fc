"""Small data for fast tests (imported by tests and conftest.py)."""

# Fifty short names: enough for an 80/10/10 split (40/5/5) and a vocabulary of a few letters.
SMALL_WORDS = [
    "emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn",
    "abigail", "emily", "ella", "elizabeth", "camila", "luna", "sofia", "avery", "mila",
    "aria", "scarlett", "penelope", "layla", "chloe", "victoria", "madison", "eleanor",
    "grace", "nora", "riley", "zoey", "hannah", "hazel", "lily", "ellie", "violet", "lillian",
    "zoe", "stella", "aurora", "natalie", "emilia", "everly", "leah", "aubrey", "willow",
    "addison", "lucy", "audrey", "bella", "nova",
]  # fmt: skip
