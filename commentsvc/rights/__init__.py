"""Readers' data rights (GDPR Art. 15, 17, 20): see, take and erase what is held under an address.

- `records`: the JSON document of everything tied to an address.
- `erase`: what erasing does to each comment, by the site's `erase_comments` policy.
- `service`: `PeopleService`, which readers' pages, the admin API and the CLI call.

The signed "My comments" link and its email are in `commentsvc.notify.mine`.
"""
