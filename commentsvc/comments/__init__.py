"""What readers do and what happens to a comment.

Posting with group commit (`service`, `batching`), reading and the page cache
(`reading`, `pagecache`, `memo`), a reader's own actions (`reader_actions`),
live thread events (`events`), the automatic moderator the worker runs
(`automod`) and what moderators taught it (`lessons`).
"""
