"""Clean news comments full of traps, for tests/moderation/data/clean_traps.tsv.

Written for this project: each kind has hand-written sentences, some with a
slot filled from a hand-written list, so every line reads like a comment
under a local news story and none is profane.
"""

from __future__ import annotations

import random

NAMES = [
    "Dick Grayson", "Fanny Brice", "Ed Balls", "Anthony Weiner", "Dick Van Dyke", "Willy Brandt",
    "Dick Cheney", "Fanny Burney", "Randy Newman", "Peter Cock", "Dick Francis", "Willy Wonka",
    "Dick Advocaat", "Fanny Mendelssohn", "Philip K. Dick", "Moby Dick", "Dick Whittington",
    "Mr Hoare", "Mrs Cox", "Dr Butt", "Sir Dick", "Professor Wang", "Mr Dong", "Judge Gay",
    "Inspector Cock", "Councillor Balls", "Captain Dick", "Dr Prick", "Mr Bellend", "Ms Titt",
    "Mayor Wang", "Coach Dick", "Lady Fanny", "Uncle Dick",
]  # fmt: skip
NAME_CARRIERS = [
    "I grew up reading about {n} and still think the early stories were the best.",
    "The interview with {n} last week was the most honest thing in the paper.",
    "Does anyone remember when {n} opened the new wing at the hospital?",
    "My grandmother met {n} at a charity dinner in 1974.",
    "The statue of {n} by the harbour needs cleaning again.",
    "Quoting {n} in a piece about bus fares is a stretch.",
    "The letter from {n} to the council was read out at the meeting.",
    "I saw {n} speak at the festival and it was packed.",
    "Apparently {n} lives two streets from the new depot.",
    "The documentary on {n} is on tonight at nine.",
]
PLACES = [
    "Twatt", "Dildo", "Shitterton", "Cockermouth", "Penistone", "Scunthorpe", "Clitheroe",
    "Middlesex", "Sussex", "Essex", "Wessex", "Cockburnspath", "Titty Ho", "Crapstone",
    "Fanny Hands Lane", "Cock Bridge", "Cocking", "Wetwang", "Pratts Bottom", "Bastard Hill",
    "Lickey End", "Butt Lane", "Horsham", "Cockfosters", "Matlock", "Blackcock Road",
]  # fmt: skip
PLACE_CARRIERS = [
    "We drove through {p} on the way to the coast and the road was flooded.",
    "The bus to {p} has been cut to two a day.",
    "House prices in {p} have doubled since the station reopened.",
    "My cousin runs the post office in {p}.",
    "The farmers' market near {p} is worth the trip on Saturdays.",
    "There was a fire at a barn outside {p} last night.",
    "The school in {p} got a good inspection report.",
    "Everyone in {p} knows that junction is dangerous.",
]
PHRASE_LINES = [
    "She graduated magna cum laude and then went straight into local politics.",
    "He finished summa cum laude, which the article could have mentioned.",
    "The shares trade cum dividend until Friday, so the price will drop after.",
    "Homo sapiens has been on these islands for a long time, the museum says.",
    "Remains of Homo erectus were found near the river, according to the team.",
    "For the club this was an annus horribilis, no doubt about it.",
    "A pair of blue tits nested in the box on our shed again.",
    "The great tit is the most common bird at our feeder this winter.",
    "Our cocker spaniel barks at every delivery van on the street.",
    "The survey counted a cock pheasant and two hens in the top field.",
    "Tit for tat tariffs never help anyone, least of all farmers.",
    "That was a cock and bull story from the developer.",
    "The minister's plan was knocked into a cocked hat by the auditors.",
    "The report found a chink in the armour of the bidding process.",
    "The new clinic is spick and span and the staff are lovely.",
    "It is a pin prick compared with what the county has to find.",
    "Dogs prick up their ears at the sound of the bin lorry.",
    "The plumber replaced the ballcock in the loft tank.",
    "Turn the stopcock off before you go on holiday.",
    "Spotted dick and custard was on the school menu on Friday.",
    "The booby trap on the stage set was part of the play.",
    "Our team won the booby prize at the pub quiz.",
    "There was a hoar frost on the fields this morning.",
    "A water butt in every garden would help with the hosepipe ban.",
    "He was the butt of the joke in the whole debate.",
    "The honky tonk pianist at the festival was brilliant.",
    "My aunt still wears a fanny pack on walking holidays.",
    "They spent money willy nilly on consultants.",
    "The European shag colony on the cliffs is doing well this year.",
    "A Maine Coon was found wandering on the ring road.",
    "The bastard wing on a bird's wrist helps it fly slowly.",
    "The museum shows a bastard sword from the fifteenth century.",
    "Pussy willow is coming out early along the canal.",
    "Faggots and peas were on the menu at the miners' gala.",
    "Rio Negro is one of the biggest rivers in the world.",
    "The Negro Leagues exhibition at the library is excellent.",
    "The woodcock season opens later than people think.",
    "A grease nipple on the gate hinge would stop the squeak.",
    "Muffed a catch in the last over and lost the match.",
    "God knows how the budget was signed off.",
]
VOCAB_LINES = [
    "The defendant was convicted of murder and two counts of rape.",
    "Police say the rapist was known to the victim.",
    "The court heard the sniper fired from a roof on Mill Road.",
    "Heroin seizures at the port have doubled.",
    "The erection of scaffolding on the high street needs a licence.",
    "Planning permission covers the erection of a two-storey extension.",
    "Market penetration of electric cars is still low in rural areas.",
    "Testicular cancer is one of the most treatable cancers if caught early.",
    "The trial for the new breast cancer screening starts in March.",
    "The clinic offers free screening for HIV and herpes.",
    "Erectile dysfunction drugs were among the items stolen from the pharmacy.",
    "The prostitute who gave evidence was granted anonymity.",
    "He was jailed for living off the earnings of prostitution.",
    "A flange on the gas main had corroded, the engineer said.",
    "The piano fingering in the second movement is fiendish.",
    "The nude portraits in the gallery caused a stir in 1910.",
    "The vixen and her cubs have moved into the railway embankment.",
    "A niggling injury kept the striker out of the derby.",
    "The hospital's gynaecology unit treats vaginal and uterine conditions.",
    "The photo enlargement of the old map hangs in the town hall.",
    "The museum of the Napoleonic era has a room on bondage and slavery.",
    "Police found cannabis and meth at the address.",
    "The report describes an orgy of looting after the blackout.",
    "The perversion of justice in that case still angers the family.",
    "He was described as a masochist for running the marathon twice.",
    "The pimp was sentenced to nine years.",
    "The drug was found in the victim's urine.",
    "Scrotal and testicle injuries are common in cycling accidents, doctors said.",
    "The phallic sculpture in the square has divided opinion.",
    "The stripper pole was removed from the club after the licence review.",
    "Inbred dogs suffer from breathing problems, the vet warned.",
    "The junkie stereotype in the drama was lazy writing.",
    "A screw came loose on the bridge railing.",
    "Hell for the commuters this week, with three trains cancelled.",
    "Anal fissures are a common problem, the NHS page says.",
    "The killer was caught on the station cameras.",
    "Two murders in one month is unheard of here.",
    "The new vaccine targets the herpes virus.",
    "The seamen's mission on the quay is closing.",
    "Screwdrivers and drills were taken from the van.",
]
LANGUAGE_LINES = [
    "El perro negro de mi vecino ladra toda la noche.",
    "La calle está cerrada por obras hasta el lunes.",
    "Mi madre vive en la casa azul al lado del puerto.",
    "O carro preto do meu pai está na garagem.",
    "A reunião da câmara foi adiada para sexta-feira.",
    "Tôi thích đọc báo vào buổi sáng với một cốc cà phê.",
    "Anh Phúc đã sửa chiếc xe đạp cho con tôi.",
    "Cô ấy là giáo viên ở trường tiểu học gần nhà.",
    "Le conseil municipal a voté le nouveau budget hier soir.",
    "Die Stadt hat die Brücke endlich renoviert.",
    "Il sindaco ha promesso una nuova biblioteca nel quartiere.",
    "De gemeente wil meer fietspaden in het centrum.",
    "Los niños juegan en el parque con la pelota negra.",
    "O pão da padaria da esquina é o melhor da cidade.",
    "Gracias por el artículo, es muy útil para los vecinos.",
    "Muito obrigado pela reportagem sobre o hospital.",
    "Con mèo đen của hàng xóm rất dễ thương.",
    "El negro es mi color favorito para los abrigos.",
    "Chúc mừng năm mới tới tất cả mọi người trong xóm.",
    "La peste negra llegó a la ciudad en 1348, según el museo.",
    "Meu filho estuda na escola do bairro desde os seis anos.",
    "Le fils de la boulangère est devenu pompier.",
    "Der Bürgermeister kommt am Montag zur Versammlung.",
    "Cụ bà Đức sống một mình trong ngôi nhà nhỏ.",
]
NUMBER_CODE_LINES = [
    "The A55 was closed near Bangor for most of the morning.",
    "The M6 toll is empty because nobody wants to pay it.",
    "There were tailbacks on the A1 and the B45 all afternoon.",
    "The bridge cost £5 million more than the estimate.",
    "Tickets are $55 each, which is steep for a school play.",
    "The new rule is in section 5.5 of the plan.",
    "In Python I wrote `x_cum = np.cumsum(x)` to get the totals.",
    "Use df.cumsum() or a loop; the x_cum column is what you want.",
    "The variable `sh1t_count` in the script is a typo for shift_count.",
    "Flight BA455 landed two hours late.",
    "Our postcode is SE5 and the buses are fine.",
    "Room 4B is where the hearing was held.",
    "He scored 55 points in the final game.",
    "Call 0800 555 0199 for the council helpline.",
    "The 5th of November bonfire is cancelled this year.",
    "The fund lost 3.5% on the day.",
    "Version 3.11 fixed the bug in the parser.",
    "The tram line T5 will open in 2027.",
    "Our flat is 4A on the third floor.",
    "The C4 bus does not stop at the hospital any more.",
    "The score was 5-5 at half time.",
    "The file is called ass_ets_2024.csv on the portal, oddly.",
    "The spreadsheet column cum_total is the running sum.",
    "A 10k run through the park raised £3,000.",
    "The J55 junction works start on the 3rd.",
]
SCUNTHORPE_LINES = [
    "Scunthorpe United won at home on Saturday.",
    "The assassin in the novel turns out to be the narrator.",
    "A classic car rally will close the seafront on Sunday.",
    "The grape harvest was early this year.",
    "My therapist says walking helps more than any app.",
    "The cocktail bar on the corner has new owners.",
    "The peacock at the manor escaped again.",
    "Hitchcock films are showing at the arts centre all month.",
    "The analysis covers twenty years of rainfall.",
    "The passage by the river is being resurfaced.",
    "Button batteries are dangerous for toddlers.",
    "Cumulative rainfall this month is a record.",
    "The shiitake growers need more help at harvest.",
    "The parishioners raised money for the roof.",
    "The document was signed in the presence of a solicitor.",
    "Constitutional experts disagree about the vote.",
    "The Dickensian streets are lovely at Christmas.",
    "The pianist was superb at the opening night.",
    "The titles of the reports are misleading.",
    "Assessments for the school are due next month.",
    "The cockpit recordings were released on Tuesday.",
    "Hancock Road will be closed for resurfacing.",
    "Sussex Police have made three arrests.",
    "The Cumbrian coast is stunning in autumn.",
    "The Titanic Quarter in Belfast is busy at weekends.",
    "The massage parlour closed after the rent rise.",
    "The cockles on the beach are safe to eat again.",
    "The cumin and coriander at the market are cheap.",
    "The spicy food stall won an award.",
    "The shell of the old mill is being restored.",
    "The scrapyard has been sold to a developer.",
    "The bassist in the band is from our village.",
    "The hooks on the coat rack came off.",
    "The potholes on Elm Grove are getting worse.",
    "Title deeds for the old chapel were found in a drawer.",
    "The Penistone line is getting new trains.",
    "The pussycat in the window of the bookshop is called Jim.",
    "The cocker spaniel show is on Saturday.",
    "Mass tourism is changing the old town.",
    "Shitake, shiitake, however you spell it, the soup was good.",
]
# Hyphens, underscores, slashes, dots, line breaks, double spaces and emoji between
# ordinary words, some of which join to a listed word ("pen⏎is", "bell⏎End").
SEPARATOR_LINES = [
    "The co-operative on the high street is closing in May.",
    "Pupils who fail can re-sit the exam in August.",
    "The flat is sold as-is, with no survey.",
    "My username on the forum is bass_hunter_77, say hello.",
    "The column is called pen_is_mightier in the export, don't ask.",
    "The file tit_for_tat_v2.docx is the latest draft.",
    "Set cum_sum=0 before the loop and it works.",
    "We had a well-\nknown speaker at the meeting.",
    "The pen\nis mightier than the sword, as they say.",
    "I rang the bell\n\nEnd of story: nobody came.",
    "The Chicago Bulls hit twenty threes last night.",
    "Who\nRe-elected this lot? We did.",
    "The cock-\nerel on the farm wakes us at five.",
    "Tickets are £5/£3 for members.",
    "Meet at 10.30 at the town hall, then lunch.",
    "See the e-mail from the head-teacher about the re-opening.",
    "The pre-school and after-school clubs are full.",
    "Great result  for the team, well done.",
    "Thanks to everyone who came.\nSee you next week.",
    "The kids loved it 😂 great day out",
    "Jack 🙄 Russell puppies are for sale at the farm.",
    "The pen 🖊 is on the desk by the door.",
    "Off-peak fares go up in March.",
    "The by-election is on Thursday.",
    "My grand-daughter starts school in September.",
    "The B&B on Shore Road has re-opened.",
    "Her blog, wit_and_wisdom, is worth a read.",
    "The vote was 12-4 with two abstentions.",
    "Press ESC/F1 to open the menu.",
    "Mr. Cock-burn said the road was unsafe.",
    "It was a hit-and-run on the bypass.",
    "The sub-committee meets on the 3rd.",
    "Bring a pen\nand a notebook to the session.",
    "I voted for the bus lane\nand I would again.",
    "The dip shot up after lunch, then fell.",
    "He is a bit chilly about the plan, to be fair.",
    "The shop sells bass, bream and cod.",
    "Cash-strapped councils are cutting services.",
    "The anti-social behaviour order was lifted.",
    "The snow-covered fields looked lovely.",
    "Her co-author is from Leeds.",
]
OPENERS = ["", "", "Honestly, ", "To be fair, ", "For what it's worth, ", "Interesting. ",
           "Good article. ", "As a local, ", "Update: ", "FWIW "]  # fmt: skip
CLOSERS = ["", "", " Thanks for the report.", " Just saying.", " Keep it up.", " 👍",
           " Worth a follow-up.", " Time will tell."]  # fmt: skip


def _vary(line: str, rng: random.Random) -> str:
    opener = rng.choice(OPENERS)
    if opener and line[:1].isupper() and line.split(" ", 1)[0] not in {"I", "Mr", "Dr"}:
        first = line.split(" ", 1)[0]
        keep = any(c.isupper() for c in first[1:]) or first in {"Scunthorpe", "Hitchcock"}
        if not keep and rng.random() < 0.5:
            line = line[0].lower() + line[1:]
    return opener + line + rng.choice(CLOSERS)


def clean(rng: random.Random) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(kind: str, text: str) -> None:
        if text not in seen:
            seen.add(text)
            rows.append((kind, text))

    for name in NAMES:
        for carrier in rng.sample(NAME_CARRIERS, 6):
            add("names", carrier.format(n=name))
    for place in PLACES:
        for carrier in rng.sample(PLACE_CARRIERS, 6):
            add("places", carrier.format(p=place))
    for kind, lines in (
        ("phrases", PHRASE_LINES),
        ("vocabulary", VOCAB_LINES),
        ("languages", LANGUAGE_LINES),
        ("numbers_code", NUMBER_CODE_LINES),
        ("scunthorpe", SCUNTHORPE_LINES),
        ("separators", SEPARATOR_LINES),
    ):
        for line in lines:
            add(kind, line)
            for _ in range(4):
                add(
                    kind,
                    _vary(line, rng)
                    if kind != "languages"
                    else line + rng.choice([*CLOSERS[:2], " 🙂", " !!"]),
                )
    return rows
