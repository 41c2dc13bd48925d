"""Words the generators draw from: people's names, title words, tag names and description phrases.

A few names carry accents, apostrophes or hyphens so that slugs, JSON encoding and CSV quoting
meet what a real catalogue holds.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Ada", "Agnes", "Alma", "Amara", "Anders", "Anika", "Arturo", "Astrid", "Beatriz", "Bram",
    "Camille", "Carmen", "Cecil", "Clara", "Conor", "Dalia", "Daniel", "Dmitri", "Edith", "Elena",
    "Elif", "Emeka", "Esther", "Farid", "Felix", "Freya", "Gideon", "Grace", "Hana", "Harriet",
    "Hiro", "Ines", "Ingrid", "Isaac", "Ivo", "Jasper", "Jonas", "José", "Julia", "Kasimir",
    "Keiko", "Kofi", "Lars", "Leila", "Lena", "Lucia", "Magnus", "Maren", "Mateo", "Mei",
    "Milan", "Miriam", "Nadia", "Nils", "Noor", "Odile", "Olga", "Oskar", "Paloma", "Pavel",
    "Priya", "Rafael", "Rosa", "Ruth", "Samir", "Sana", "Selma", "Silas", "Sofia", "Tariq",
    "Thea", "Tomas", "Una", "Vera", "Viktor", "Wanjiru", "Yusuf", "Zara", "Zoë", "Åsa",
)  # fmt: skip

LAST_NAMES = (
    "Abara", "Adeyemi", "Alvarez", "Andersen", "Bauer", "Becker", "Bianchi", "Brennan", "Castillo", "Chen",
    "Costa", "Dahl", "Delacroix", "Dimitrova", "Eriksson", "Esposito", "Ferreira", "Fischer", "Fontaine", "Gallagher",
    "García", "Haddad", "Halvorsen", "Hartmann", "Ibrahim", "Ito", "Jansen", "Kaplan", "Kowalski", "Kuznetsova",
    "Lambert", "Lindqvist", "Lopes", "MacLeod", "Mahmoud", "Marchetti", "Mensah", "Moreau", "Müller", "Nakamura",
    "Nguyen", "Novak", "Nowak", "O'Brien", "Okafor", "Oduya", "Olsen", "Ortega", "Pereira", "Petrov",
    "Quispe", "Rahman", "Reyes", "Rossi", "Sato", "Schmidt", "Silva", "Sørensen", "Stewart", "Suzuki",
    "Tanaka", "Thompson", "Torres", "Varga", "Vasquez", "Virtanen", "Wagner", "Walsh", "Weber", "Wiśniewski",
    "Yamamoto", "Yilmaz", "Zhang", "Zielinski", "de Vries", "van Dijk", "Achebe-Nwosu", "Lund", "Rivera", "Baptiste",
)  # fmt: skip

MIDDLE_INITIALS = "ABCDEFGHJKLMNOPRSTVW"

TITLE_ADJECTIVES = (
    "Amber", "Ashen", "Bitter", "Blue", "Broken", "Burning", "Careful", "Cold", "Crimson", "Crooked",
    "Dark", "Distant", "Drowned", "Early", "Empty", "Endless", "Faded", "Final", "First", "Forgotten",
    "Fragile", "Frozen", "Gentle", "Gilded", "Glass", "Golden", "Green", "Grey", "Hidden", "Hollow",
    "Honest", "Hungry", "Idle", "Iron", "Last", "Late", "Little", "Lonely", "Long", "Lost",
    "Narrow", "Northern", "Open", "Pale", "Patient", "Quiet", "Red", "Restless", "Secret", "Silent",
    "Silver", "Small", "Southern", "Still", "Strange", "Sudden", "Summer", "Sunken", "Tender", "Thin",
    "Twelfth", "Unquiet", "Velvet", "Violet", "Wandering", "Wild", "Winter", "Wooden", "Yellow", "Young",
)  # fmt: skip

TITLE_NOUNS = (
    "Atlas", "Archive", "Bell", "Bird", "Bridge", "Cartographer", "Cathedral", "Cipher", "Clock", "Coast",
    "Compass", "Country", "Crossing", "Crown", "Daughter", "Debt", "Desert", "Dream", "Embassy", "Ember",
    "Engine", "Evening", "Exile", "Falconer", "Ferry", "Field", "Fire", "Forest", "Fortune", "Garden",
    "Ghost", "Glacier", "Harbour", "Harvest", "Heir", "Vigil", "House", "Hunger", "Island", "Journey",
    "Key", "Kingdom", "Lantern", "Ledger", "Letter", "Library", "Lighthouse", "Machine", "Map", "Market",
    "Meridian", "Mirror", "Moon", "Mountain", "Museum", "Night", "Ocean", "Orchard", "Orbit", "Painter",
    "Passage", "Pilgrim", "Promise", "Quarry", "Railway", "River", "Road", "Room", "Sailor", "Season",
    "Shadow", "Signal", "Silence", "Sister", "Song", "Star", "Station", "Storm", "Stranger", "Tide",
    "Tower", "Translator", "Valley", "Voyage", "Watchmaker", "Weaver", "Well", "Widow", "Wind", "Witness",
)  # fmt: skip

PLACES = (
    "Alexandria", "Antwerp", "Arcadia", "Avalon", "Babylon", "Bergen", "Bukhara", "Cádiz", "Carthage", "Cork",
    "Dakar", "Delft", "Dubrovnik", "Edinburgh", "Galway", "Granada", "Hanoi", "Havana", "Istanbul", "Kyoto",
    "Lagos", "Lisbon", "Lyon", "Macau", "Marrakesh", "Montevideo", "Mumbai", "Naples", "Odessa", "Oslo",
    "Palermo", "Prague", "Quito", "Riga", "Samarkand", "Seville", "Tallinn", "Trieste", "Valparaíso", "Zanzibar",
    "the Baltic", "the Delta", "the Fens", "the Hills", "the Interior", "the North", "the Steppe", "the Valley",
)  # fmt: skip

TAG_NAMES = (
    "Fiction", "Literary Fiction", "Historical Fiction", "Science Fiction", "Fantasy", "Mystery", "Crime",
    "Thriller", "Horror", "Romance", "Adventure", "Short Stories", "Poetry", "Drama", "Classics",
    "Graphic Novels", "Young Adult", "Children's", "Humour", "Satire", "Biography", "Memoir", "Autobiography",
    "Essays", "Letters", "Diaries", "History", "Ancient History", "Medieval History", "Modern History",
    "Military History", "Philosophy", "Ethics", "Religion", "Mythology", "Folklore", "Psychology", "Sociology",
    "Anthropology", "Economics", "Politics", "Law", "Education", "Linguistics", "Science", "Physics",
    "Chemistry", "Biology", "Astronomy", "Mathematics", "Computer Science", "Engineering", "Medicine",
    "Nature", "Ecology", "Climate", "Geology", "Oceans", "Birds", "Gardening", "Cooking", "Food & Drink",
    "Travel", "Exploration", "Maps", "Architecture", "Art", "Art History", "Photography", "Design", "Music",
    "Film", "Theatre", "Dance", "Fashion", "Sport", "Mountaineering", "Sailing", "Chess", "Games", "Crafts",
    "Business", "Finance", "Technology", "Journalism", "True Crime", "Espionage", "War", "Peace", "Family",
    "Childhood", "Friendship", "Love", "Grief", "Identity", "Migration", "Cities", "Islands", "Rivers",
    "Translation", "Debut", "Prize Winners", "Book Club", "Illustrated", "Reference",
)  # fmt: skip

PROFESSIONS = (
    "novelist", "poet", "historian", "journalist", "translator", "essayist", "critic", "playwright",
    "biographer", "scientist", "teacher", "illustrator", "editor", "travel writer", "philosopher",
)  # fmt: skip

DESCRIPTION_OPENINGS = (
    "A {adjective} novel about {subject}.",
    "In {place}, {person} discovers {subject}.",
    "{person} has one summer to find {subject}.",
    "An account of {subject}, told through letters and maps.",
    "Part history, part memoir: {subject} as it has never been told.",
    "When {subject} returns to {place}, nothing stays the same.",
    "A {adjective} study of {subject} across three generations.",
    "Twelve linked stories set in {place}.",
)  # fmt: skip

DESCRIPTION_MIDDLES = (
    "It moves between {place} and {other_place} with patience and wit.",
    "Nobody in the family agrees on what happened to {person}.",
    "The prose is spare; the stakes are not.",
    "Along the way it asks what we owe to the people we leave behind.",
    "Drawing on archives long thought lost, it rebuilds a vanished world.",
    "What begins as a small favour becomes a reckoning.",
    "Each chapter turns on a single object: a key, a letter, a map.",
)  # fmt: skip

DESCRIPTION_CLOSINGS = (
    "A book to read slowly.",
    "Winner of a regional prize; translated into nine languages.",
    "With an afterword by the author.",
    "Includes maps, a glossary and notes for reading groups.",
    "",
)  # fmt: skip
