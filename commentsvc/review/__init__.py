"""What moderators do: decisions on comments (`decisions`), bans and purges (`bans`),
the moderators' views of comments (`modviews`), queue figures (`stats`), the
editors' desk: featured comments, staff replies, closing threads (`desk`), and
"what if" replays of a policy change (`replay`)."""
