"""Application services: one module per area.

Every public function takes the caller's Session (the unit of work) and the
acting user, checks permissions, writes audit events and returns frozen read
models. None of them opens, commits or closes a session.
"""
