"""The corrections desk (issue 16): a reader reports an error in a passage, privately.

Reports are not comments: they are stored apart (`store/corrections.py`), never
appear in a thread or any public answer, and only a moderator's "corrected"
outcome (the passage, its date and public note) is public.
"""
