"""What a seeded directory profile says: Italian names, places, headlines, bios and services.

Made up from phrase templates with a seeded `random.Random`, so the same seed gives the same
people. The words are those clients type (WordPress, contabilità, grafica, assistenza clienti...),
so full-text search over seeded profiles meets the spread of matches a real directory has: a few
words match nearly everyone, most match a few percent, a surname matches a handful.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from lms.models import ROLES, SPECIALIZATIONS

FEMALE_NAMES = (
    "Giulia", "Francesca", "Chiara", "Sara", "Martina", "Valentina", "Federica", "Silvia", "Elena",
    "Alessandra", "Laura", "Paola", "Roberta", "Simona", "Monica", "Claudia", "Elisa", "Serena",
    "Veronica", "Daniela", "Barbara", "Cristina", "Manuela", "Ilaria", "Anna", "Marta", "Eleonora",
    "Beatrice", "Camilla", "Sofia", "Giorgia", "Alice", "Arianna", "Noemi", "Irene", "Michela",
    "Stefania", "Patrizia", "Lucia", "Antonella", "Teresa", "Rossella", "Debora", "Erika",
    "Jessica", "Lisa", "Nadia", "Sabrina", "Tiziana", "Valeria", "Marina", "Cinzia", "Lorena",
    "Benedetta", "Caterina", "Margherita", "Greta", "Ludovica", "Aurora", "Rebecca",
)  # fmt: skip
MALE_NAMES = (
    "Marco", "Luca", "Andrea", "Alessandro", "Matteo", "Davide", "Simone", "Francesco", "Stefano",
    "Giuseppe", "Lorenzo", "Paolo", "Roberto", "Fabio", "Daniele", "Riccardo", "Emanuele",
    "Nicola", "Michele", "Antonio", "Giovanni", "Filippo", "Tommaso", "Federico", "Gabriele",
    "Massimo", "Alberto", "Claudio", "Enrico", "Pietro",
)  # fmt: skip
SURNAMES = (
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
    "Greco", "Bruno", "Gallo", "Conti", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi",
    "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara",
    "Galli", "Martini", "Leone", "Longo", "Gentile", "Martinelli", "Vitale", "Lombardo", "Serra",
    "Coppola", "Marchetti", "Parisi", "Villa", "Conte", "Ferraro", "Ferri", "Fabbri", "Bianco",
    "Marini", "Grasso", "Valentini", "Messina", "Sala", "Gatti", "Pellegrini", "Palumbo", "Sanna",
    "Farina", "Rizzi", "Monti", "Cattaneo", "Morelli", "Amato", "Silvestri", "Mazza", "Testa",
    "Grassi", "Pellegrino", "Carbone", "Giuliani", "Benedetti", "Barone", "Rossetti", "Caputo",
    "Montanari", "Guerra", "Palmieri", "Bernardi", "Martino", "Fiore", "Ferretti", "Bellini",
    "Basile", "Riva", "Donati", "Piras", "Vitali", "Battaglia", "Sartori", "Neri", "Costantini",
    "Milani", "Pagano", "Ruggiero", "De Luca", "De Santis", "D'Angelo", "De Angelis", "De Rosa",
)  # fmt: skip

# (city, region, country, weight): the weight follows the size of the city, roughly.
PLACES = (
    ("Milano", "Lombardia", "IT", 14), ("Bergamo", "Lombardia", "IT", 3),
    ("Brescia", "Lombardia", "IT", 3), ("Monza", "Lombardia", "IT", 2),
    ("Torino", "Piemonte", "IT", 8), ("Novara", "Piemonte", "IT", 1),
    ("Genova", "Liguria", "IT", 4), ("Aosta", "Valle d'Aosta", "IT", 1),
    ("Trento", "Trentino-Alto Adige", "IT", 2), ("Bolzano", "Trentino-Alto Adige", "IT", 1),
    ("Verona", "Veneto", "IT", 3), ("Padova", "Veneto", "IT", 3), ("Venezia", "Veneto", "IT", 2),
    ("Vicenza", "Veneto", "IT", 2), ("Treviso", "Veneto", "IT", 2),
    ("Trieste", "Friuli-Venezia Giulia", "IT", 2), ("Udine", "Friuli-Venezia Giulia", "IT", 1),
    ("Bologna", "Emilia-Romagna", "IT", 5), ("Modena", "Emilia-Romagna", "IT", 2),
    ("Parma", "Emilia-Romagna", "IT", 2), ("Rimini", "Emilia-Romagna", "IT", 1),
    ("Firenze", "Toscana", "IT", 5), ("Pisa", "Toscana", "IT", 1), ("Siena", "Toscana", "IT", 1),
    ("Perugia", "Umbria", "IT", 2), ("Ancona", "Marche", "IT", 1), ("Pesaro", "Marche", "IT", 1),
    ("Roma", "Lazio", "IT", 14), ("Latina", "Lazio", "IT", 1), ("L'Aquila", "Abruzzo", "IT", 1),
    ("Pescara", "Abruzzo", "IT", 1), ("Campobasso", "Molise", "IT", 1),
    ("Napoli", "Campania", "IT", 7), ("Salerno", "Campania", "IT", 2), ("Bari", "Puglia", "IT", 4),
    ("Lecce", "Puglia", "IT", 2), ("Potenza", "Basilicata", "IT", 1),
    ("Matera", "Basilicata", "IT", 1), ("Cosenza", "Calabria", "IT", 1),
    ("Reggio Calabria", "Calabria", "IT", 1), ("Palermo", "Sicilia", "IT", 4),
    ("Catania", "Sicilia", "IT", 3), ("Cagliari", "Sardegna", "IT", 2),
    ("Sassari", "Sardegna", "IT", 1),
    ("Lugano", "Ticino", "CH", 1), ("Londra", "Inghilterra", "GB", 1),
    ("Barcellona", "Catalogna", "ES", 1), ("Parigi", "Île-de-France", "FR", 1),
    ("Berlino", "Berlino", "DE", 1), ("Bruxelles", "Bruxelles", "BE", 1),
)  # fmt: skip
REGIONS = tuple(dict.fromkeys(region for _city, region, country, _w in PLACES if country == "IT"))

# Per specialization: the words clients search for, then sentences and services that use them.
TOPICS = {
    "wordpress": (
        "siti WordPress",
        "Aggiorno e curo siti WordPress: plugin, backup e pagine nuove.",
        ("Manutenzione siti WordPress", "Pagine e articoli su WordPress"),
    ),
    "newsletter": (
        "newsletter",
        "Scrivo e spedisco newsletter con Mailchimp e Brevo, con le automazioni.",
        ("Newsletter mensile", "Automazioni email e liste contatti"),
    ),
    "social_media": (
        "social media",
        "Gestisco i social media: calendario editoriale, post e risposte.",
        ("Piano editoriale Instagram e Facebook", "Gestione community sui social"),
    ),
    "bookkeeping": (
        "contabilità",
        "Tengo la contabilità ordinaria: prima nota, fatture e solleciti.",
        ("Fatturazione elettronica", "Prima nota e riconciliazioni bancarie"),
    ),
    "graphic_design": (
        "grafica",
        "Preparo la grafica per social, presentazioni e locandine con Canva.",
        ("Grafiche per i social con Canva", "Presentazioni e materiali grafici"),
    ),
    "customer_care": (
        "assistenza clienti",
        "Curo l'assistenza clienti via email, chat e telefono.",
        ("Assistenza clienti via email e chat", "Gestione ticket e reclami"),
    ),
    "ecommerce": (
        "e-commerce",
        "Seguo negozi e-commerce su Shopify e WooCommerce: prodotti, ordini, resi.",
        ("Caricamento prodotti e-commerce", "Gestione ordini e resi"),
    ),
    "events": (
        "organizzazione eventi",
        "Organizzo eventi, webinar e fiere, dagli inviti alla logistica.",
        ("Organizzazione eventi e webinar", "Inviti, iscrizioni e logistica"),
    ),
    "translation": (
        "traduzioni",
        "Faccio traduzioni e revisioni di testi commerciali e tecnici.",
        ("Traduzioni dall'inglese", "Revisione di testi tradotti"),
    ),
    "project_management": (
        "gestione progetti",
        "Mi occupo di gestione progetti con Trello, Asana e Notion.",
        ("Gestione progetti e scadenze", "Coordinamento di fornitori e team"),
    ),
    "inbox_calendar": (
        "gestione agenda",
        "Gestisco la posta elettronica e l'agenda di appuntamenti.",
        ("Gestione casella email", "Agenda e appuntamenti"),
    ),
    "travel": (
        "organizzazione viaggi",
        "Organizzo viaggi di lavoro: voli, treni, hotel e trasferte.",
        ("Prenotazione voli e hotel", "Itinerari e trasferte"),
    ),
    "copywriting": (
        "copywriting",
        "Scrivo testi per siti, blog e schede prodotto (copywriting).",
        ("Testi per siti e blog", "Schede prodotto"),
    ),
    "seo": (
        "SEO",
        "Ottimizzo articoli e pagine per la SEO, con la ricerca delle parole chiave.",
        ("Ottimizzazione SEO", "Ricerca parole chiave"),
    ),
    "video_editing": (
        "montaggio video",
        "Curo il montaggio video per YouTube, Reel e corsi, con i sottotitoli.",
        ("Montaggio video", "Sottotitoli e Reel"),
    ),
    "online_courses": (
        "corsi online",
        "Seguo corsi online e membership: lezioni, iscritti e piattaforme.",
        ("Caricamento lezioni e-learning", "Gestione iscritti e membership"),
    ),
    "data_entry": (
        "inserimento dati",
        "Mi occupo di inserimento dati, fogli Excel e pulizia di database.",
        ("Inserimento dati", "Fogli Excel e Google Sheets"),
    ),
    "crm": (
        "CRM",
        "Configuro e aggiorno il CRM (HubSpot, Pipedrive) e seguo i contatti commerciali.",
        ("Aggiornamento CRM", "Gestione contatti e lead"),
    ),
}
ROLE_TITLES = {
    "executive_assistant": "Executive Assistant",
    "virtual_office_manager": "Office manager virtuale",
    "web_marketing_assistant": "Assistente di web marketing",
    "social_media_manager": "Social media manager",
    "administrative_assistant": "Assistente amministrativ{a}",
    "customer_support": "Assistente clienti",
    "personal_assistant": "Assistente personale",
    "online_business_manager": "Online business manager",
}
CLIENTS = (
    "professionisti", "piccole imprese", "studi medici", "negozi online", "coach e formatori",
    "agenzie di comunicazione", "startup", "studi legali", "architetti", "freelance",
    "studi commercialisti", "strutture ricettive",
)  # fmt: skip
PAST_JOBS = (
    "uno studio legale", "un'agenzia di viaggi", "un hotel", "un'azienda di logistica",
    "un ufficio amministrativo", "una scuola", "un'agenzia di comunicazione",
    "uno studio commercialista", "una banca", "un'azienda metalmeccanica", "un negozio",
)  # fmt: skip
TOOLS = (
    "Google Workspace", "Notion", "Trello", "Asana", "Canva", "Mailchimp", "Slack", "Excel",
    "Zoom", "HubSpot", "Shopify", "Fatture in Cloud", "Calendly", "Microsoft 365",
)  # fmt: skip
HEADLINES = (
    "{role} · {topic1} e {topic2}",
    "{role} per {clients}",
    "Assistente virtuale: {topic1}, {topic2}",
    "{Topic1} e {topic2} per {clients}",
    "Ti aiuto con {topic1} e {topic2}",
    "{role} da {city}",
)
CLOSINGS = (
    "Lavoro con precisione e riservatezza, nel rispetto del codice etico della professione.",
    "Rispondo entro un giorno lavorativo e concordo ogni attività per iscritto.",
    "Preferisco collaborazioni continuative, con un pacchetto di ore al mese.",
    "Offro una prima call conoscitiva gratuita di mezz'ora.",
)
LANGUAGE_SENTENCES = {
    "en": "Lavoro anche in inglese.",
    "fr": "Parlo francese.",
    "de": "Parlo tedesco.",
    "es": "Parlo spagnolo.",
}
# Weights of each code, in the order of their vocabulary: some are far commoner than others.
SPECIALIZATION_WEIGHTS = (8, 9, 10, 6, 6, 8, 5, 4, 3, 5, 9, 3, 4, 3, 2, 4, 5, 2)
ROLE_WEIGHTS = (8, 4, 6, 6, 8, 4, 5, 2)
EXTRA_LANGUAGE_WEIGHTS = {"en": 50, "fr": 12, "es": 12, "de": 8, "pt": 4, "ro": 4, "sq": 3,
                          "uk": 2, "ru": 2, "ar": 1, "zh": 1, "nl": 1, "pl": 1}  # fmt: skip


@dataclass(frozen=True)
class ProfileContent:
    display_name: str
    headline: str
    bio: str
    services: str
    city: str
    region: str
    country: str
    specializations: tuple[str, ...]
    roles: tuple[str, ...]
    languages: tuple[str, ...]
    availability: str
    hourly_rate_cents: int | None


def _pick(rng: random.Random, codes: tuple[str, ...], weights, count: int) -> tuple[str, ...]:
    """`count` different codes, drawn by weight."""
    chosen: list[str] = []
    while len(chosen) < count:
        code = rng.choices(codes, weights)[0]
        if code not in chosen:
            chosen.append(code)
    return tuple(chosen)


def _name(rng: random.Random) -> tuple[str, str, str]:
    """First name, surname, and the ending that agrees with the name (`a` or `o`)."""
    female = rng.random() < 0.85
    first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    return first, rng.choice(SURNAMES), "a" if female else "o"


def _languages(rng: random.Random, country: str) -> tuple[str, ...]:
    extra = rng.choices((0, 1, 2), (45, 40, 15))[0]
    codes = tuple(EXTRA_LANGUAGE_WEIGHTS)
    languages = ("it", *_pick(rng, codes, tuple(EXTRA_LANGUAGE_WEIGHTS.values()), extra))
    if country != "IT" and "en" not in languages:
        languages = (*languages[:2], "en")
    return languages


def make_profile_content(rng: random.Random) -> ProfileContent:
    first, last, ending = _name(rng)
    city, region, country, _weight = rng.choices(PLACES, [place[3] for place in PLACES])[0]
    if rng.random() < 0.04:
        city = ""  # some give their region only
    specializations = _pick(
        rng, SPECIALIZATIONS, SPECIALIZATION_WEIGHTS, rng.choices((1, 2, 3, 4), (20, 40, 28, 12))[0]
    )
    roles = _pick(rng, ROLES, ROLE_WEIGHTS, rng.choices((1, 2), (70, 30))[0])
    languages = _languages(rng, country)
    topics = [TOPICS[code][0] for code in specializations]
    topic2 = topics[1] if len(topics) > 1 else rng.choice(("gestione agenda", "assistenza clienti"))
    headline = rng.choice(HEADLINES if city else HEADLINES[:-1]).format(
        role=ROLE_TITLES[roles[0]].format(a=ending),
        topic1=topics[0],
        Topic1=topics[0][:1].upper() + topics[0][1:],
        topic2=topic2,
        clients=rng.choice(CLIENTS),
        city=city,
    )
    where = f"da {city}" if city else f"in {region}"
    intro = rng.choice(
        (
            f"Sono {first}, assistente virtuale {where}: "
            f"lavoro da remoto con {rng.choice(CLIENTS)}.",
            f"Assistente virtuale certificat{ending}, lavoro {where} con clienti in tutta Italia.",
            f"Dopo {rng.randint(3, 15)} anni in {rng.choice(PAST_JOBS)} sono diventat{ending} "
            "assistente virtuale.",
        )
    )
    middle = " ".join(TOPICS[code][1] for code in specializations)
    tools = ", ".join(rng.sample(TOOLS, 3))
    spoken = " ".join(LANGUAGE_SENTENCES[code] for code in languages if code in LANGUAGE_SENTENCES)
    bio = (
        f"{intro}\n\n{middle}\n\n**Strumenti:** {tools}.\n\n"
        f"{spoken + ' ' if spoken else ''}{rng.choice(CLOSINGS)}"
    )
    services = "\n".join(rng.choice(TOPICS[code][2]) for code in specializations)
    has_rate = rng.random() < 0.6
    return ProfileContent(
        display_name=f"{first} {last}",
        headline=headline[:160],
        bio=bio,
        services=services,
        city=city,
        region=region,
        country=country,
        specializations=specializations,
        roles=roles,
        languages=languages,
        availability=rng.choices(("available", "limited", "unavailable"), (55, 30, 15))[0],
        hourly_rate_cents=rng.randint(15, 45) * 100 if has_rate else None,
    )
