package sample

// The simulated market. Every table here is read-only; the order of its rows is the order of the
// random draws, so changing it changes the generated data.

// touchpoint is one channel a customer can meet the brand through.
type touchpoint struct {
	name string
	// entry is the weight of this touchpoint as the first contact of a journey.
	entry float64
	// conv multiplies every step conversion of a journey that entered here.
	conv float64
	// campaigns are drawn uniformly for events here; none means campaign is null.
	campaigns []string
	// costPerEntrant is the spend per customer entering here (0: organic, no spend rows).
	costPerEntrant float64
	// cpm and ctr are the media's cost per thousand impressions and clicks per impression, for
	// the spend rows' impressions and clicks (an email's impressions are its sends).
	cpm, ctr float64
}

var touchpoints = []touchpoint{
	{name: "social", entry: 0.20, conv: 0.85, campaigns: []string{"spring_launch", "influencer_q1", "summer_teaser"}, costPerEntrant: 4.0, cpm: 6, ctr: 0.012},
	{name: "search_ads", entry: 0.17, conv: 1.05, campaigns: []string{"brand_keywords", "generic_keywords"}, costPerEntrant: 5.5, cpm: 25, ctr: 0.045},
	{name: "display_ads", entry: 0.15, conv: 0.62, campaigns: []string{"prospecting", "retargeting"}, costPerEntrant: 9.0, cpm: 3, ctr: 0.0035},
	{name: "website", entry: 0.13, conv: 1.00},
	{name: "email", entry: 0.10, conv: 1.28, campaigns: []string{"newsletter", "welcome_series", "cart_reminder"}, costPerEntrant: 1.5, cpm: 1.5, ctr: 0.025},
	{name: "store", entry: 0.09, conv: 1.18},
	{name: "word_of_mouth", entry: 0.09, conv: 1.32},
	{name: "app", entry: 0.07, conv: 1.08},
}

// tpIndex returns the index of the touchpoint called name.
func tpIndex(name string) int {
	for i, t := range touchpoints {
		if t.name == name {
			return i
		}
	}
	panic("sample: unknown touchpoint " + name)
}

// segment is one customer persona.
type segment struct {
	name  string // "" for customers without a segment
	share float64
	// conv multiplies every step conversion.
	conv float64
	// revenueMedian is the median order value; orders are log-normal around it.
	revenueMedian float64
	// Repeat orders follow the BG/NBD story: while active, a purchaser orders again after
	// exponential gaps whose rate is Gamma-distributed across customers with mean 1/gapDays;
	// after every order the customer drops out with a Beta-distributed probability of mean churn.
	gapDays, churn float64
	// review is the mean sentiment of this segment's reviews.
	review float64
}

var segments = []segment{
	{name: "bargain_hunter", share: 0.24, conv: 0.85, revenueMedian: 42, gapDays: 70, churn: 0.64, review: 0.10},
	{name: "loyal", share: 0.15, conv: 1.30, revenueMedian: 115, gapDays: 40, churn: 0.30, review: 0.60},
	{name: "new_parent", share: 0.16, conv: 1.02, revenueMedian: 88, gapDays: 50, churn: 0.50, review: 0.35},
	{name: "professional", share: 0.19, conv: 1.10, revenueMedian: 145, gapDays: 60, churn: 0.50, review: 0.25},
	{name: "student", share: 0.18, conv: 0.76, revenueMedian: 33, gapDays: 90, churn: 0.68, review: 0.28},
	{name: "", share: 0.08, conv: 0.92, revenueMedian: 70, gapDays: 70, churn: 0.55, review: 0.30},
}

// Shape of the Gamma spread of repeat rates and concentration of the Beta spread of churn.
const (
	rateShape       = 2.0
	churnConcentrat = 4.0
	maxOrders       = 12
)

// Stage steps of the closed funnel after awareness.
const (
	stepInterest = iota
	stepComparison
	stepPurchase
	numSteps
)

// step describes one step into a stage: its base conversion, its delay and where it happens when
// the customer switches channel.
type step struct {
	events []string
	base   float64 // conversion before touchpoint and segment multipliers
	// delayHours is the mean delay from the previous stage (exponential).
	delayHours float64
	// sentiment is the mean sentiment of this stage's events that carry one.
	sentiment float64
	// where are the touchpoint weights, in touchpoints order, when the step changes channel.
	where []float64
}

var steps = [numSteps]step{
	stepInterest: {
		events: []string{"view_item", "search"}, base: 0.58, delayHours: 30, sentiment: 0.15,
		//      social search disp  web   email store wom  app
		where: []float64{2, 3, 1, 3, 1, 0, 0, 1},
	},
	stepComparison: {
		events: []string{"view_cart", "add_to_cart"}, base: 0.50, delayHours: 44, sentiment: 0.05,
		where: []float64{0, 0, 0, 4, 1, 1, 0, 3},
	},
	stepPurchase: {
		events: []string{"purchase"}, base: 0.42, delayHours: 58, sentiment: 0.35,
		where: []float64{0, 0, 0, 4, 1, 2, 0, 3},
	},
}

// awarenessEvents are the first stage's events; the first contact of a new customer is
// first_visit.
var awarenessEvents = []string{"session_start", "page_view"}

// Events that match no stage but are touches.
const (
	evScroll     = "scroll"
	evNewsletter = "newsletter_open"
	evVideo      = "video_play"
	evAppOpen    = "app_open"
	evReview     = "review"
	evPurchase   = "purchase"
	evFirstVisit = "first_visit"
)

// Rates of the journey's side events and data flaws.
const (
	pSwitchChannel   = 0.45  // a step happens at another touchpoint than the previous one
	pExtraTouch      = 0.35  // an unmatched touch (scroll, newsletter_open, video_play) before a step
	pLongDelay       = 0.06  // a step comes 25-45 days later, usually past the window
	pStrayInterest   = 0.04  // an interest event before the first awareness event
	pSecondAttempt   = 0.14  // a non-purchaser comes back weeks later and starts again
	pResend          = 0.04  // a purchase event is sent twice with the same order_id
	pUsage           = 0.50  // a purchaser opens the app afterwards
	pReview          = 0.22  // a purchaser writes a review
	pStageSentiment  = 0.12  // a stage event carries a sentiment (survey, rating)
	pAppComparisonSn = 0.60  // ... on the app at comparison: the pain point, more often asked
	appComparisonSn  = -0.45 // mean sentiment of comparison on the app
	pNullTouchpoint  = 0.005 // an event's touchpoint is missing
	pDuplicate       = 0.003 // an event row is exported twice
	revenueSigma     = 0.55  // log-normal spread of order values
	sentimentSD      = 0.35
)
