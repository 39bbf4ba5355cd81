"""The private parts of ``ticketcore.routing``: the nouns, eligibility and ranking, languages and batch assignment."""
