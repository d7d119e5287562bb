"""Name lists and small directories for the synthetic demo data (see ``casebook.demo``).

Names are grouped by naming tradition so that a generated person gets a given
name and a family name that belong together, in that tradition's order and
script. The mix is deliberately wide (non-ASCII Latin, Greek, Cyrillic, Arabic
and CJK scripts) so that sorting, searching, printing and CSV export are
exercised on the kinds of names a real clinic sees.

Everything here is invented: no list pairs a real person's given and family name
on purpose, phone numbers use the 555-01xx block reserved for fiction, and
e-mail domains are the reserved example domains.
"""

from __future__ import annotations

from dataclasses import dataclass

# (given name, the short or romanised name a person often goes by, or None)
Given = tuple[str, str | None]
# (masculine form, feminine form) of a family name; identical where the
# language does not inflect family names by gender.
Family = tuple[str, str]


def _same(*names: str) -> tuple[Family, ...]:
    return tuple((name, name) for name in names)


@dataclass(frozen=True)
class Culture:
    key: str
    weight: int
    # The language a participant from this tradition may prefer for services.
    language: str
    # Share of participants who prefer that language over English.
    language_share: float
    women: tuple[Given, ...]
    men: tuple[Given, ...]
    family: tuple[Family, ...]
    family_first: bool = False
    # Chinese and Korean names are written without a space between the parts.
    joiner: str = " "
    # Latin-script traditions are used for staff display names as well.
    latin: bool = True

    def full_name(self, given: str, family: str) -> str:
        if self.family_first:
            return f"{family}{self.joiner}{given}"
        return f"{given}{self.joiner}{family}"


CULTURES: tuple[Culture, ...] = (
    Culture(
        "english", 40, "English", 0.0,
        women=(
            ("Jennifer", "Jen"), ("Ashley", None), ("Brittany", None), ("Crystal", None),
            ("Amanda", "Mandy"), ("Jessica", "Jess"), ("Tiffany", None), ("Heather", None),
            ("Kayla", None), ("Megan", None), ("Danielle", "Dani"), ("Shawna", None),
            ("Tonya", None), ("Deborah", "Deb"), ("Linda", None), ("Patricia", "Trish"),
            ("Kimberly", "Kim"), ("Rachel", None), ("Samantha", "Sam"), ("Destiny", None),
            ("Latoya", None), ("Keisha", None), ("Imani", None), ("Courtney", None),
            ("Stephanie", "Steph"), ("Nicole", "Nikki"), ("Christina", "Tina"),
            ("Elizabeth", "Liz"), ("Margaret", "Peggy"), ("Dorothy", "Dot"),
        ),
        men=(
            ("Michael", "Mike"), ("Christopher", "Chris"), ("Joshua", "Josh"),
            ("Matthew", "Matt"), ("Anthony", "Tony"), ("Robert", "Bobby"),
            ("William", "Bill"), ("James", "Jim"), ("Daniel", "Danny"), ("Joseph", "Joe"),
            ("Brandon", None), ("Tyler", None), ("Cody", None), ("Dustin", None),
            ("Travis", None), ("Jamal", None), ("DeShawn", None), ("Marcus", None),
            ("Terrell", None), ("Kevin", None), ("Richard", "Rick"), ("Thomas", "Tom"),
            ("Jonathan", "Jon"), ("Nathaniel", "Nate"), ("Gregory", "Greg"),
            ("Raymond", "Ray"), ("Darnell", None), ("Curtis", None),
        ),
        family=_same(
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
            "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Thompson", "White",
            "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
            "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell",
            "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Parker",
            "Collins", "Edwards", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan",
            "Cooper", "Peterson", "Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox",
            "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray", "Hughes", "Price",
            "Sanders", "Myers", "Long", "Ross", "Foster", "Washington", "Jefferson", "Banks",
            "Freeman", "Holloway", "McAllister", "Dunbar", "Whitaker", "Pruitt",
        ),
    ),
    Culture(
        "spanish", 14, "Spanish", 0.45,
        women=(
            ("María José", "Majo"), ("Sofía", None), ("Lucía", None), ("Guadalupe", "Lupe"),
            ("Ximena", None), ("Valentina", "Vale"), ("Marisol", None), ("Rocío", None),
            ("Inés", None), ("Araceli", None), ("Yesenia", None), ("Dolores", "Lola"),
            ("Concepción", "Conchita"), ("Beatriz", "Bea"), ("Mónica", None),
        ),
        men=(
            ("José", "Pepe"), ("Jesús", "Chuy"), ("Martín", None), ("Andrés", None),
            ("Raúl", None), ("Héctor", None), ("Joaquín", None), ("Iván", None),
            ("Rubén", None), ("Luis Ángel", None), ("Francisco", "Paco"),
            ("Ignacio", "Nacho"), ("Alejandro", "Alex"), ("Efraín", None), ("Óscar", None),
        ),
        family=_same(
            "García", "Hernández", "Martínez", "López", "González", "Rodríguez", "Pérez",
            "Sánchez", "Ramírez", "Núñez", "Peña", "Ibáñez", "Muñoz", "Jiménez", "Gutiérrez",
            "Vásquez", "Ortiz", "Castillo", "Díaz", "Cruz", "Rosario", "Santiago",
            "García Núñez", "Ortiz Peña", "Maldonado", "Quiñones", "Avilés",
        ),
    ),
    Culture(
        "portuguese", 3, "Portuguese", 0.4,
        women=(("Conceição", None), ("Luíza", None), ("Letícia", None), ("Ana Clara", None),
               ("Fernanda", "Nanda"), ("Graça", None)),
        men=(("João", None), ("Sebastião", "Tião"), ("Antônio", "Tonho"), ("Márcio", None),
             ("Cauã", None), ("Gonçalo", None)),
        family=_same("Gonçalves", "Simões", "Magalhães", "Conceição", "Araújo", "Brandão",
                     "Guimarães", "Assunção", "Falcão"),
    ),
    Culture(
        "french", 3, "French", 0.25,
        women=(("Zoë", None), ("Chloé", None), ("Hélène", None), ("Mélanie", "Mel"),
               ("Geneviève", "Gen"), ("Béatrice", None), ("Thérèse", None), ("Noémie", None)),
        men=(("François", None), ("Jérôme", None), ("Stéphane", None), ("Rémi", None),
             ("Frédéric", "Fred"), ("Benoît", None), ("Gaël", None)),
        family=_same("Lefèvre", "Bérubé", "Gagné", "Côté", "Lévesque", "Bélanger",
                     "Thériault", "Pétion", "Desrosiers", "Bouchard"),
    ),
    Culture(
        "vietnamese", 3, "Vietnamese", 0.5,
        women=(("Thị Lan", "Lan"), ("Thị Hương", "Huong"), ("Ngọc Ánh", "Anh"),
               ("Thu Thảo", "Thao"), ("Thị Mai", "Mai"), ("Bích Ngọc", "Ngoc")),
        men=(("Văn Minh", "Minh"), ("Đức Anh", "Duc"), ("Quốc Huy", "Huy"),
             ("Thanh Tùng", "Tung"), ("Văn Hải", "Hai"), ("Hoàng Long", "Long")),
        family=_same("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi"),
        family_first=True,
    ),
    Culture(
        "polish", 2, "Polish", 0.3,
        women=(("Małgorzata", "Gosia"), ("Zofia", "Zosia"), ("Agnieszka", "Aga"),
               ("Katarzyna", "Kasia"), ("Joanna", "Asia"), ("Grażyna", None)),
        men=(("Łukasz", None), ("Wojciech", "Wojtek"), ("Paweł", None), ("Michał", None),
             ("Krzysztof", "Krzysiek"), ("Grzegorz", "Greg")),
        family=(("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"),
                ("Kamiński", "Kamińska"), ("Lewandowski", "Lewandowska"),
                ("Dąbrowski", "Dąbrowska"), *_same("Wójcik", "Zając", "Król", "Wróbel", "Nowak")),
    ),
    Culture(
        "czech", 1, "Czech", 0.2,
        women=(("Tereza", None), ("Kateřina", "Katka"), ("Lucie", None), ("Markéta", None),
               ("Jiřina", None)),
        men=(("Jiří", "Jirka"), ("Tomáš", None), ("Ondřej", None), ("Lukáš", None),
             ("Zdeněk", None)),
        family=(("Dvořák", "Dvořáková"), ("Novák", "Nováková"), ("Černý", "Černá"),
                ("Procházka", "Procházková"), ("Kučera", "Kučerová"), ("Veselý", "Veselá"),
                ("Růžička", "Růžičková"), ("Krejčí", "Krejčí")),
    ),
    Culture(
        "scandinavian", 2, "Norwegian", 0.05,
        women=(("Åse", None), ("Sigrid", None), ("Ingrid", None), ("Sølvi", None),
               ("Åsa", None), ("Linnéa", None), ("Maja", None)),
        men=(("Søren", None), ("Bjørn", None), ("Jørgen", None), ("Øystein", None),
             ("Håkon", None), ("Anders", None), ("Nils", None)),
        family=_same("Ødegaard", "Jørgensen", "Møller", "Sørensen", "Dahl", "Løvik",
                     "Bråten", "Nyström", "Åberg", "Lindqvist"),
    ),
    Culture(
        "icelandic", 1, "Icelandic", 0.1,
        women=(("Guðrún", None), ("Sigríður", "Sigga"), ("Kristín", None), ("Þórdís", None),
               ("Ásdís", None), ("Helga", None)),
        men=(("Ólafur", "Óli"), ("Jón", None), ("Sigurður", "Siggi"), ("Þórður", None),
             ("Einar", None), ("Ragnar", None)),
        family=(("Jónsson", "Jónsdóttir"), ("Ólafsson", "Ólafsdóttir"),
                ("Sigurðsson", "Sigurðardóttir"), ("Guðmundsson", "Guðmundsdóttir"),
                ("Einarsson", "Einarsdóttir"), ("Gunnarsson", "Gunnarsdóttir")),
    ),
    Culture(
        "german", 2, "German", 0.15,
        women=(("Käthe", None), ("Lena", None), ("Sabine", None), ("Ute", None),
               ("Mareike", None), ("Jördis", None)),
        men=(("Jürgen", None), ("Jörg", None), ("Björn", None), ("Lukas", None),
             ("Maximilian", "Max"), ("Tobias", "Tobi")),
        family=_same("Müller", "Schröder", "Schäfer", "Köhler", "Weiß", "Groß", "Krüger",
                     "Möller", "Hoffmann", "Bäcker"),
    ),
    Culture(
        "turkish", 2, "Turkish", 0.35,
        women=(("Ayşe", None), ("Şule", None), ("Gülşen", None), ("Elif", None),
               ("Zeynep", None), ("Özlem", None)),
        men=(("Mehmet", None), ("Gökhan", None), ("Emre", None), ("Mustafa", None),
             ("Barış", None), ("Oğuz", None)),
        family=_same("Çelik", "Yıldız", "Öztürk", "Şahin", "Doğan", "Aydın", "Kılıç",
                     "Arslan", "Yılmaz", "Koç"),
    ),
    Culture(
        "south_slavic", 2, "Serbian", 0.25,
        women=(("Milica", None), ("Jelena", None), ("Dragana", None), ("Ivana", None),
               ("Snežana", "Sneža")),
        men=(("Dragan", None), ("Željko", None), ("Nikola", None), ("Miloš", None),
             ("Dejan", None), ("Goran", None)),
        family=_same("Đorđević", "Petrović", "Jovanović", "Kovačević", "Marković", "Nikolić",
                     "Živković", "Babić", "Šarić"),
    ),
    Culture(
        "nigerian", 3, "Igbo", 0.03,
        women=(("Ngozi", None), ("Chiamaka", "Amaka"), ("Adaeze", "Ada"),
               ("Funmilayo", "Funmi"), ("Folake", None), ("Nneka", None), ("Oluwaseun", "Seun")),
        men=(("Chidi", None), ("Emeka", None), ("Adebayo", "Bayo"), ("Babatunde", "Tunde"),
             ("Obinna", None), ("Ikenna", "Ike"), ("Oluwadamilare", "Dami")),
        family=_same("Okafor", "Adeyemi", "Nwosu", "Okonkwo", "Balogun", "Eze", "Ogunleye",
                     "Nnamdi", "Adebayo", "Onyekachi"),
    ),
    Culture(
        "maori", 1, "Māori", 0.1,
        women=(("Aroha", None), ("Mere", None), ("Hinemoa", None), ("Ngaio", None),
               ("Kiri", None), ("Wai", None)),
        men=(("Tāne", None), ("Wiremu", "Wiri"), ("Hēmi", None), ("Rāwiri", None),
             ("Tamati", None), ("Mikaere", None)),
        family=_same("Ngata", "Parata", "Tamihana", "Te Rangi", "Walker", "Horomona",
                     "Tūwhare", "Te Whata"),
    ),
    Culture(
        "irish", 2, "Irish", 0.02,
        women=(("Siobhán", None), ("Aoife", None), ("Niamh", None), ("Caoimhe", None),
               ("Orla", None), ("Sinéad", None), ("Máire", None)),
        men=(("Seán", None), ("Pádraig", "Paddy"), ("Ciarán", None), ("Eoin", None),
             ("Oisín", None), ("Donnchadh", "Donagh")),
        family=(("Ó Briain", "Ní Bhriain"), ("Ó Súilleabháin", "Ní Shúilleabháin"),
                ("Mac Cárthaigh", "Nic Cárthaigh"),
                *_same("Byrne", "Gallagher", "Doyle", "Walsh", "O'Sullivan", "Ó Ceallaigh")),
    ),
    Culture(
        "greek", 1, "Greek", 0.3,
        women=(("Ελένη", "Eleni"), ("Μαρία", "Maria"), ("Κατερίνα", "Katerina"),
               ("Σοφία", "Sofia"), ("Αθηνά", "Athena")),
        men=(("Γιώργος", "George"), ("Νίκος", "Nick"), ("Δημήτρης", "Jimmy"),
             ("Κώστας", "Kostas"), ("Γιάννης", "Yianni")),
        family=(("Παπαδόπουλος", "Παπαδοπούλου"), ("Καραγιάννης", "Καραγιάννη"),
                *_same("Γεωργίου", "Αντωνίου", "Νικολάου", "Οικονόμου", "Βασιλείου")),
        latin=False,
    ),
    Culture(
        "russian", 2, "Russian", 0.5,
        women=(("Анна", "Anna"), ("Ольга", "Olga"), ("Наталья", "Natasha"),
               ("Екатерина", "Katya"), ("Татьяна", "Tanya")),
        men=(("Дмитрий", "Dima"), ("Алексей", "Alex"), ("Сергей", "Sergei"),
             ("Иван", "Ivan"), ("Михаил", "Misha")),
        family=(("Иванов", "Иванова"), ("Смирнов", "Смирнова"), ("Соколов", "Соколова"),
                ("Попов", "Попова"), ("Кузнецов", "Кузнецова"), ("Волков", "Волкова")),
        latin=False,
    ),
    Culture(
        "ukrainian", 1, "Ukrainian", 0.5,
        women=(("Олена", "Olena"), ("Оксана", "Oksana"), ("Ірина", "Iryna"),
               ("Юлія", "Yulia")),
        men=(("Олександр", "Sasha"), ("Андрій", "Andrii"), ("Сергій", "Serhii"),
             ("Тарас", "Taras")),
        family=_same("Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Мельник"),
        latin=False,
    ),
    Culture(
        "arabic", 2, "Arabic", 0.5,
        women=(("فاطمة", "Fatima"), ("ليلى", "Layla"), ("مريم", "Maryam"), ("نور", "Nour"),
               ("سارة", "Sara")),
        men=(("محمد", "Mohammed"), ("أحمد", "Ahmed"), ("عمر", "Omar"), ("يوسف", "Youssef"),
             ("خالد", "Khalid")),
        family=_same("حسن", "منصور", "الأحمد", "خليل", "حداد", "سليمان", "العلي"),
        latin=False,
    ),
    Culture(
        "chinese", 2, "Mandarin", 0.5,
        women=(("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("丽", "Li"), ("秀英", "Xiuying"),
               ("芳", "Fang")),
        men=(("伟", "Wei"), ("强", "Qiang"), ("杰", "Jie"), ("磊", "Lei"), ("浩然", "Haoran"),
             ("俊", "Jun")),
        family=_same("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"),
        family_first=True,
        joiner="",
        latin=False,
    ),
    Culture(
        "japanese", 1, "Japanese", 0.4,
        women=(("花子", "Hanako"), ("美咲", "Misaki"), ("陽菜", "Hina"), ("由美", "Yumi")),
        men=(("健太", "Kenta"), ("大輔", "Daisuke"), ("翔", "Sho"), ("拓也", "Takuya")),
        family=_same("佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤", "山本", "中村"),
        family_first=True,
        latin=False,
    ),
    Culture(
        "korean", 1, "Korean", 0.4,
        women=(("서연", "Seo-yeon"), ("지은", "Ji-eun"), ("수빈", "Su-bin"), ("민지", "Min-ji")),
        men=(("민준", "Min-jun"), ("지훈", "Ji-hoon"), ("현우", "Hyun-woo"), ("성민", "Sung-min")),
        family=_same("김", "이", "박", "최", "정", "강", "조", "윤"),
        family_first=True,
        joiner="",
        latin=False,
    ),
    Culture(
        "south_asian", 2, "Hindi", 0.15,
        women=(("Priya", None), ("Ananya", None), ("Lakshmi", None), ("Sunita", None),
               ("Deepika", None)),
        men=(("Arjun", None), ("Rahul", None), ("Sanjay", None), ("Vikram", "Vik"),
             ("Ravi", None)),
        family=_same("Patel", "Sharma", "Iyer", "Reddy", "Singh", "Gupta", "Nair", "Chowdhury"),
    ),
    Culture(
        "somali", 1, "Somali", 0.4,
        women=(("Hodan", None), ("Faadumo", None), ("Sahra", None), ("Ayaan", None),
               ("Hibaaq", None)),
        men=(("Abdirahman", None), ("Mahad", None), ("Liban", None), ("Abdullahi", None),
             ("Yusuf", None)),
        family=_same("Abdi", "Warsame", "Farah", "Hassan", "Ali", "Jama", "Mohamud", "Osman"),
    ),
    Culture(
        "filipino", 2, "Tagalog", 0.15,
        women=(("Maricel", None), ("Rowena", "Weng"), ("Jhoanna", None), ("Liezl", None),
               ("Maria Theresa", "Tess")),
        men=(("Jomar", None), ("Rodel", None), ("Jerome", None), ("Ramon", "Mon"),
             ("Reynaldo", "Rey")),
        family=_same("dela Cruz", "Santos", "Reyes", "Bautista", "Villanueva", "Mendoza",
                     "Dimaculangan", "Macaraeg", "Ocampo"),
    ),
)

# Names people often choose for themselves (used with they/them pronouns).
CHOSEN_NAMES = ("Alex", "River", "Sam", "Jordan", "Rowan", "Sky", "Quinn", "Jesse", "Kai",
                "Ari", "Robin", "Frankie", "Avery", "Phoenix", "Charlie", "Remy")

EMERGENCY_RELATIONS_WOMEN = ("mother", "sister", "aunt", "daughter", "grandmother", "cousin",
                             "partner", "friend")
EMERGENCY_RELATIONS_MEN = ("father", "brother", "uncle", "son", "grandfather", "cousin",
                           "partner", "friend")

STREETS = ("Maple Avenue", "Elm Street", "Oak Street", "Washington Street", "Main Street",
           "River Road", "Pleasant Street", "Highland Avenue", "Church Street", "Mill Street",
           "Chestnut Street", "Park Avenue", "Union Street", "Franklin Street", "Prospect Hill",
           "Cedar Lane", "Lincoln Avenue", "Water Street", "Spring Street", "Walnut Street",
           "School Street", "Summit Avenue", "Harbor View Drive", "Canal Street")
TOWNS = ("Riverbend", "Millbrook", "Cedar Falls", "Harbor City", "East Haverford",
         "North Ashby", "Fairmont", "Granite Springs", "Lakeside", "West Marlow")
SHELTERS = ("Harbor Street Shelter", "St. Vincent's Men's Shelter", "Safe Haven Women's Shelter",
            "Riverbend Family Shelter", "the Warming Center on Mill Street")
AREA_CODES = ("201", "212", "267", "312", "323", "413", "415", "503", "508", "617", "702",
              "713", "774", "802", "857", "919", "978")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

# The program the demo data belongs to (consent forms name it as the discloser).
PROGRAM_NAME = "Riverbend Peer Recovery Center"

COUNSELOR_ORGANISATIONS = (
    "Riverbend Community Mental Health Center",
    "New Horizons Outpatient Treatment",
    "Lighthouse Recovery Clinic",
    "St. Brigid's Family Services",
    "Clearwater Behavioral Health",
    "Northside Trauma Recovery Center",
    "Oak Street Counseling Collective",
    "Bridgeway Women's Treatment Program",
    "Unity Health Addiction Medicine",
    "Valley Veterans Counseling",
    "Harbor City Harm Reduction Services",
    "Millbrook Family Therapy Associates",
    "Centro de Salud Comunitario",
    "Cedar Falls Intensive Outpatient Program",
)
COUNSELOR_CREDENTIALS = ("LPC", "LCSW", "LMFT", "LADC", "PsyD", "PhD, LP", "LCSW, LADC",
                         "LMHC", "LCADC", "MD (addiction psychiatry)", "PMHNP-BC", "NCC, LPC",
                         "LICSW", "LPC, LCADC", "LMFT, CADC")
COUNSELOR_SPECIALTIES = (
    "co-occurring disorders", "trauma and PTSD (EMDR)",
    "medication for opioid use disorder (MOUD)", "grief and loss", "family therapy",
    "DBT skills", "LGBTQ+ affirming care", "women's trauma", "veterans", "anxiety and panic",
    "depression", "gambling", "young adults", "CBT for insomnia", "motivational interviewing",
    "intensive outpatient program (IOP)", "couples counseling", "anger management",
    "psychiatric medication management", "eating disorders", "reentry after incarceration",
)
COUNSELOR_LANGUAGES = ("Spanish", "Vietnamese", "American Sign Language", "Arabic", "Russian",
                       "Somali", "Polish", "French", "Mandarin", "Portuguese", "Haitian Creole")
