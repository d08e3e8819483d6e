"""Word lists of the name finder (``clinic.pii.names``): cues, and words never a name."""

from __future__ import annotations

# Relations and roles before a name: "my daughter Keisha", "her tita Corazon".
RELATIONS = (
    r"mother-in-law|father-in-law|son-in-law|daughter-in-law|sister-in-law|brother-in-law|"
    r"daughter|son|wife|husband|mom|mother|mum|dad|father|sister|brother|friend|neighbou?r|"
    r"caregiver|carer|aunt|uncle|granddaughter|grandson|niece|nephew|partner|grandma|"
    r"grandpa|grandmother|grandfather|boyfriend|girlfriend|cousin|nurse|doctor|surgeon|"
    r"spouse|stepdaughter|stepson|stepmom|stepmother|stepdad|stepfather|hubby|sil|dil|pcp|"
    r"aide|fianc[eé]e?|roommate|"
    r"landlord|landlady|therapist|pa|np|esposo|esposa|hijo|hija|mam[aá]|pap[aá]|"
    # kin words patients use in English sentences: Tagalog, Spanish, Polish, Russian,
    # Hindi/Urdu, Vietnamese, Korean, Italian, German, Yiddish
    r"lola|lolo|tita|tito|tiya|tiyo|ate|kuya|nanay|tatay|inay|itay|abuela|abuelo|abuelita|"
    r"abuelito|t[ií]a|t[ií]o|babcia|dziadek|babushka|dedushka|babulya|nani|nana|nanu|dadi|"
    r"dada|dadaji|naniji|ammi|abbu|amma|appa|b[àa]|[ôo]ng|halmoni|harabeoji|nonna|nonno|"
    r"oma|opa|bubbe|zayde"
)
# Capitalised words that open or fill patient messages and are never a person here.
NEVER = frozenset("""
i a an the and or but so if is am are was were be been do does did not no yes ok okay hi hello
hey dear good thanks thank please sorry just also very really still then when what why how who
which where can could will would should may might must shall my your our his her their its this
that these those there here it he she we they you me him us them one kyphoplasty vertebroplasty
monday tuesday wednesday thursday friday saturday sunday january february march april june july
august september october november december jan feb mar apr jun jul aug sep sept oct nov dec today
tomorrow yesterday tonight morning afternoon evening night week month year clinic hospital er
god lord jesus christ christmas easter merry thanksgiving medicare medicaid tylenol advil aleve
ibuprofen mri ct xray x-ray dob s/p hx pt rn lpn english spanish french german italian
chinese vietnamese russian polish arabic
hay es está muy más pero como cuando donde ya hoy ayer mañana señor señora doctora
ramadan eid inshallah insha'allah allah amin amen bismillah alhamdulillah shukran merci mèsi
gracias salamat cảm ơn spasibo humana aetna cigna anthem kaiser tricare bluecross
""".split())
# Places that are also names: on their own they are the place ("in Arizona"), next to a
# name they are the name ("Earl Washington").
PLACES = frozenset("""
mexico poland india china canada america usa alabama alaska arizona arkansas california
colorado connecticut delaware florida georgia hawaii idaho illinois indiana iowa kansas
kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri
montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont
virginia washington wisconsin wyoming denver phoenix dallas houston austin
chase morse braden glasgow barthel apgar karnofsky
""".split())
# Spanish and French little words that are also names somewhere ("una", "le", "al").
FUNCTION_WORDS = frozenset(
    "el la los las un una unos al del y o que de en con por para mi mis tu su sus lo le les se"
    " nos me te".split()) | frozenset(
    RELATIONS.replace("?", "").replace("neighbour", "neighbor").split("|"))
# Name particles inside a full name ("Robert de la Cruz", "Ludwig van Beethoven").
PARTICLES = frozenset(
    "de la las los del della di da das dos van von der den le du bin ibn al el y e st".split())
# Months that are also first names: a name when a listed surname follows ("June Pritchard").
NAME_MONTHS = frozenset({"april", "may", "june", "august"})
NOT_AFTER_CUE = frozenset("""
not so very really still just going having getting feeling worried scared nervous afraid
fine good bad ok okay sure sorry confused calling writing texting asking wondering trying
here back home done in on at for with about from to the a an your my his her their this that
still also always never able unable sick tired old young new having been being
""".split())
