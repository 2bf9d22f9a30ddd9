package kpi

// Result is every KPI of one report. Its JSON form is the documented interface of SPEC §5:
// fractions are 0..1, a null number means "not defined" (no denominator, nothing observable yet,
// a fit that did not converge), never 0.
type Result struct {
	Report ReportInfo `json:"report"`
	// Warnings are what the report cannot stand behind as it is (docs/json.md lists the codes).
	Warnings []Warning `json:"warnings"`
	PeriodResult
	Allocation AllocationResult `json:"allocation"`
	Comparison ComparisonResult `json:"comparison"`
	// Periods are the headline KPIs of each period of run --by, oldest first; empty without it.
	Periods     []PeriodHeadline `json:"periods"`
	DataQuality DataQuality      `json:"data_quality"`
}

// Warning is something a reader of the report must know before trusting its numbers: a stable
// code and one plain sentence.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ReportInfo names the report and its window.
type ReportInfo struct {
	Name     string `json:"name"`
	From     string `json:"from"`
	To       string `json:"to"`
	Timezone string `json:"timezone"`
	// PreviousFrom and PreviousTo are the period compared with: the previous one of the same kind
	// (calendar month, quarter, ISO week, year), else the equal-length period before.
	PreviousFrom string `json:"previous_from"`
	PreviousTo   string `json:"previous_to"`
	// YearAgoFrom and YearAgoTo are the same period a year earlier, empty when comparison.year_ago
	// is off; YearAgo says whether it was compared: compared | off | before_data (the data do not
	// reach back to its start).
	YearAgoFrom string `json:"year_ago_from"`
	YearAgoTo   string `json:"year_ago_to"`
	YearAgo     string `json:"year_ago"`
	// By is the step of run --by (week, month, quarter), empty without it.
	By       string `json:"by,omitempty"`
	Currency string `json:"currency"`
	// DataEnd is the latest event time read (RFC 3339): "in progress" is judged against it.
	DataEnd string `json:"data_end"`
}

// PeriodResult holds the KPIs computed for one period. The report has one for its own period
// (inlined in Result) and one for the previous period (Comparison.Previous).
type PeriodResult struct {
	Funnel      FunnelResult      `json:"funnel"`
	JourneyMap  JourneyMapResult  `json:"journey_map"`
	Repeat      RepeatResult      `json:"repeat"`
	Attribution AttributionResult `json:"attribution"`
	Trends      TrendsResult      `json:"trends"`
}

// Stats summarises a distribution. Nil fields mean there were no values.
type Stats struct {
	N      int64    `json:"n"`
	Median *float64 `json:"median"`
	P90    *float64 `json:"p90"`
	Mean   *float64 `json:"mean"`
}

// FunnelResult is the closed (ordered) and open funnel of a period.
type FunnelResult struct {
	// Entrants are customers with a first-stage event in the period. Each ends in exactly one of
	// Completed (reached the last required stage), Dropped or InProgress.
	Entrants   int64 `json:"entrants"`
	Completed  int64 `json:"completed"`
	Dropped    int64 `json:"dropped"`
	InProgress int64 `json:"in_progress"`
	// MatureShare is the share of entrants whose window for the purchase stage (the headline
	// conversion) had closed by the data's end; nil without entrants.
	MatureShare *float64    `json:"mature_share"`
	Closed      []StageRow  `json:"closed"`
	Open        []OpenRow   `json:"open"`
	Breakdowns  []Breakdown `json:"breakdowns"`
	// MatureCohort is the closed funnel of the entrants of [from − W, to − W], whose windows have
	// all closed when the data reach the period's end; nil when not computed.
	MatureCohort *CohortFunnel `json:"mature_cohort"`
	// PaidEntry is the top of the funnel before entry for the touchpoints with spend: impressions,
	// clicks, entrants; absent without a spend input (and in the periods compared with).
	PaidEntry *PaidEntry `json:"paid_entry,omitempty"`
}

// CohortFunnel is the closed funnel of the mature cohort of a period.
type CohortFunnel struct {
	From        string     `json:"from"`
	To          string     `json:"to"`
	Entrants    int64      `json:"entrants"`
	Completed   int64      `json:"completed"`
	Dropped     int64      `json:"dropped"`
	InProgress  int64      `json:"in_progress"`
	MatureShare *float64   `json:"mature_share"`
	Closed      []StageRow `json:"closed"`
}

// StageRow is one stage of the closed funnel.
type StageRow struct {
	Stage    string `json:"stage"`
	Optional bool   `json:"optional"`
	Reached  int64  `json:"reached"`
	// ConversionFromPrevious is reached / reached at the previous required stage.
	ConversionFromPrevious *float64 `json:"conversion_from_previous"`
	// ConversionFromEntry is reached / entrants.
	ConversionFromEntry *float64 `json:"conversion_from_entry"`
	// Dropped and InProgress count customers whose furthest stage is this one.
	Dropped    int64 `json:"dropped"`
	InProgress int64 `json:"in_progress"`
	// TimeToConvertHours is the time from the previous required stage to this one.
	TimeToConvertHours Stats `json:"time_to_convert_hours"`
	// MatureShare is the share of entrants whose window for this stage had closed by the data's
	// end; nil without entrants.
	MatureShare *float64 `json:"mature_share"`
}

// OpenRow is one stage of the open funnel: distinct customers with any event of the stage in the
// period.
type OpenRow struct {
	Stage     string `json:"stage"`
	Customers int64  `json:"customers"`
}

// Breakdown is the closed funnel split by one dimension.
type Breakdown struct {
	By     string           `json:"by"` // first_touchpoint | segment | entry_week
	Groups []BreakdownGroup `json:"groups"`
}

// BreakdownGroup is the closed funnel of one value of a breakdown (top N, then "(other)"), with
// its conversion to purchase against the same value in the previous period.
type BreakdownGroup struct {
	Value    string     `json:"value"`
	Entrants int64      `json:"entrants"`
	Closed   []StageRow `json:"closed"`
	// Purchase is the conversion from entry to purchase with its interval, maturity and change
	// against the previous period's group of the same value (none for "(other)", whose members
	// differ between periods).
	Purchase RateChange `json:"purchase"`
}

// RateChange is a rate in the period with its 95% Wilson interval, beside the same rate in the
// previous period, with the two-proportion test of the change.
type RateChange struct {
	Value       *float64  `json:"value"`
	Interval    *Interval `json:"interval"`
	MatureShare *float64  `json:"mature_share"`
	Mature      bool      `json:"mature"`
	Previous    *float64  `json:"previous"`
	// Change is Value − Previous, in points of the 0..1 fraction.
	Change      *float64 `json:"change"`
	PValue      *float64 `json:"p_value"`
	Significant bool     `json:"significant"`
	Verdict     string   `json:"verdict"`
}

// JourneyMapResult is the stage × touchpoint map.
type JourneyMapResult struct {
	Stages      []string    `json:"stages"`
	Touchpoints []string    `json:"touchpoints"`
	Cells       []MapCell   `json:"cells"`
	Sentiment   []StageMood `json:"sentiment"`
	// PainPoints are the cells whose mean sentiment lies below their stage's by more than chance,
	// with enough responses (journey_map.min_customers), never (none); the allocation values
	// them and keeps the costliest (journey_map.pain_points), most costly first.
	PainPoints []PainPoint `json:"pain_points"`
	// ByDimension are the stage × value maps of the user's dimensions, in config order.
	ByDimension []DimensionMap `json:"by_dimension"`
}

// DimensionMap is the journey map by one of the user's dimensions: customers who reached each
// stage with each value (the value of the qualifying event). Values are the top N by customers
// at the first stage, then "(other)".
type DimensionMap struct {
	Dimension string          `json:"dimension"`
	Values    []string        `json:"values"`
	Cells     []DimensionCell `json:"cells"`
}

// DimensionCell is one stage × value cell of a DimensionMap.
type DimensionCell struct {
	Stage         string   `json:"stage"`
	Value         string   `json:"value"`
	Customers     int64    `json:"customers"`
	Events        int64    `json:"events"`
	SentimentMean *float64 `json:"sentiment_mean"`
	SentimentN    int64    `json:"sentiment_n"`
	// SentimentCustomers and Measured as in MapCell: the mean is to be read only when Measured.
	// In "(other)", a customer who answered with several of its values counts once for each.
	SentimentCustomers int64 `json:"sentiment_customers"`
	Measured           bool  `json:"measured"`
}

// MapCell is one stage × touchpoint cell: customers who reached the stage through the touchpoint.
type MapCell struct {
	Stage         string   `json:"stage"`
	Touchpoint    string   `json:"touchpoint"`
	Customers     int64    `json:"customers"`
	Events        int64    `json:"events"`
	SentimentMean *float64 `json:"sentiment_mean"`
	SentimentN    int64    `json:"sentiment_n"`
	// SentimentCustomers are the distinct customers who gave a sentiment there; Measured says they
	// are at least journey_map.min_customers, enough for the cell's sentiment to be read.
	SentimentCustomers int64 `json:"sentiment_customers"`
	Measured           bool  `json:"measured"`
}

// PainPoint is a journey-map cell where customers feel worse than the rest of the stage, and what
// the extra drop-off after it costs.
type PainPoint struct {
	MapCell
	// StageMean is the stage's mean sentiment over all its cells; Interval the 95% interval of the
	// cell's mean, wholly below it.
	StageMean float64  `json:"stage_mean"`
	Interval  Interval `json:"interval"`
	// NextStage is the next required stage ("" after the last); NextConversion the share of the
	// cell's customers whose window for it had closed who reached it, RestConversion the same for
	// the stage's other customers; ExtraDropOff is RestConversion − NextConversion, at least 0.
	NextStage      string   `json:"next_stage"`
	NextConversion *float64 `json:"next_conversion"`
	RestConversion *float64 `json:"rest_conversion"`
	ExtraDropOff   float64  `json:"extra_drop_off"`
	// ExtraCustomers is allocation.close_gap × ExtraDropOff × Customers: the customers closing that
	// share of the extra drop-off brings to the next stage; each is worth ValuePerCustomer, Value
	// in all.
	ExtraCustomers   float64 `json:"extra_customers"`
	ValuePerCustomer float64 `json:"value_per_customer"`
	Value            float64 `json:"value"`
}

// StageMood is the average sentiment at one stage: the emotional line of the journey map.
type StageMood struct {
	Stage string   `json:"stage"`
	Mean  *float64 `json:"mean"`
	N     int64    `json:"n"`
}

// TrendsResult is daily (weekly for periods over 90 days) entrants and conversions.
type TrendsResult struct {
	Granularity string       `json:"granularity"` // day | week
	Points      []TrendPoint `json:"points"`
}

// TrendPoint is one day or week.
type TrendPoint struct {
	Date      string  `json:"date"`
	Entrants  int64   `json:"entrants"`
	Purchases int64   `json:"purchases"` // entrants of this day that reached the purchase stage
	Orders    int64   `json:"orders"`
	Revenue   float64 `json:"revenue"`
	// MatureEntrants are the entrants whose window for the purchase stage had closed by the data's
	// end; Immature marks a point where they are fewer than comparison.min_mature of the
	// entrants, so its purchases will still grow.
	MatureEntrants int64 `json:"mature_entrants"`
	Immature       bool  `json:"immature"`
	// Partial marks a week only partly inside the period or the data.
	Partial bool `json:"partial"`
}

// RepeatResult is the repeat-purchase KPIs of a period.
type RepeatResult struct {
	Purchasers            int64    `json:"purchasers"`
	Orders                int64    `json:"orders"`
	Revenue               float64  `json:"revenue"`
	AverageOrderValue     *float64 `json:"average_order_value"`
	OrdersPerPurchaser    *float64 `json:"orders_per_purchaser"`
	RepeatPurchaseRate    *float64 `json:"repeat_purchase_rate"`
	ReturningCustomerRate *float64 `json:"returning_customer_rate"`
	// HistoryComplete says whether the data reach back repeat.history before the period: when
	// false, the returning customer rate and the cohorts count only the history the data have.
	HistoryComplete bool `json:"history_complete"`
	// DaysFirstToSecondOrder covers customers whose second order falls in the period.
	DaysFirstToSecondOrder Stats         `json:"days_first_to_second_order"`
	BySegment              []RepeatGroup `json:"by_segment"`
	ByFirstTouchpoint      []RepeatGroup `json:"by_first_touchpoint"`
	// ByDimension are the groups of each of the user's dimensions, in config order.
	ByDimension []RepeatDimension `json:"by_dimension"`
	CohortUnit  string            `json:"cohort_unit"` // month | week
	Cohorts     []Cohort          `json:"cohorts"`
	BGNBD       *BGNBDResult      `json:"bgnbd,omitempty"`
	// SpendModel is the Gamma-Gamma fit of the customers' order values beside BG/NBD; nil when
	// BG/NBD was not fitted or did not converge.
	SpendModel *SpendModel `json:"spend_model,omitempty"`
}

// RepeatDimension is the repeat KPIs by the values of one of the user's dimensions: the value of
// each purchaser's latest event with one before the period's end; top N, then "(other)".
type RepeatDimension struct {
	Dimension string        `json:"dimension"`
	Groups    []RepeatGroup `json:"groups"`
}

// Revenue bases of the customer-value forecast (BGNBDResult.RevenueBasis).
const (
	RevenueBasisSpendModel = "spend_model"
	RevenueBasisAverage    = "average_purchase"
)

// SpendModel is the Gamma-Gamma model of order values (Fader & Hardie): each customer's purchase
// values vary around their own mean, which varies across customers. When Converged is false the
// parameters are null and Reason says why (a FitReason code, with the numbers behind it).
type SpendModel struct {
	Converged     bool      `json:"converged"`
	Reason        FitReason `json:"reason,omitempty"`
	Have          float64   `json:"-"`
	Need          float64   `json:"-"`
	Param         string    `json:"param,omitempty"`
	P             *float64  `json:"p"`
	Q             *float64  `json:"q"`
	Gamma         *float64  `json:"gamma"`
	LogLikelihood *float64  `json:"log_likelihood"`
	// Customers are those the fit used: with at least one repeat purchase day of known value.
	Customers int64 `json:"customers"`
}

// RepeatGroup is the period KPIs for one segment or first touchpoint.
type RepeatGroup struct {
	Value                  string   `json:"value"`
	Purchasers             int64    `json:"purchasers"`
	Orders                 int64    `json:"orders"`
	Revenue                float64  `json:"revenue"`
	AverageOrderValue      *float64 `json:"average_order_value"`
	OrdersPerPurchaser     *float64 `json:"orders_per_purchaser"`
	RepeatPurchaseRate     *float64 `json:"repeat_purchase_rate"`
	ReturningCustomerRate  *float64 `json:"returning_customer_rate"`
	DaysFirstToSecondOrder Stats    `json:"days_first_to_second_order"`
}

// Cohort is the customers whose first order fell in one month (or week).
type Cohort struct {
	Cohort string `json:"cohort"`
	Size   int64  `json:"size"`
	// Retention[i] is the share of the cohort ordering again in period i+1 after the first
	// order; nil where that period is not yet fully observable.
	Retention []*float64 `json:"retention"`
}

// BGNBDResult is the BG/NBD fit and its predictions. When Converged is false the parameters are
// null and Reason says why.
type BGNBDResult struct {
	Converged     bool     `json:"converged"`
	Reason        string   `json:"reason,omitempty"`
	R             *float64 `json:"r"`
	Alpha         *float64 `json:"alpha"`
	A             *float64 `json:"a"`
	B             *float64 `json:"b"`
	LogLikelihood *float64 `json:"log_likelihood"`
	TimeUnit      string   `json:"time_unit"` // weeks
	Customers     int64    `json:"customers"`
	HorizonDays   int      `json:"horizon_days"`
	// ExpectedPurchases sums every customer's expected purchases (purchase days) over the
	// horizon; ExpectedRevenue sums each one's expected purchases times their expected value per
	// purchase under the spend model (null when it did not converge).
	ExpectedPurchases *float64 `json:"expected_purchases"`
	ExpectedRevenue   *float64 `json:"expected_revenue"`
	// RevenueBasis says how purchases are valued: spend_model (each customer's expected spend
	// under the Gamma-Gamma model), average_purchase (the spend model found no difference between
	// customers beyond chance, its q at the bound: every purchase is worth AveragePurchaseValue, the
	// mean repeat purchase day's value), or "" when revenue is not forecast.
	RevenueBasis         string   `json:"revenue_basis"`
	AveragePurchaseValue *float64 `json:"average_purchase_value"`
	// CustomersOrderingAgain sums each customer's probability of ordering at least once within the
	// horizon; POrdersAgain is its mean. AtRisk counts the customers who have bought again but
	// are now more likely to have lapsed than not (P(alive) < 0.5).
	CustomersOrderingAgain *float64     `json:"customers_ordering_again"`
	POrdersAgain           *float64     `json:"p_orders_again"`
	AtRisk                 int64        `json:"at_risk"`
	BySegment              []BGNBDGroup `json:"by_segment"`
	ByFirstTouchpoint      []BGNBDGroup `json:"by_first_touchpoint"`
}

// BGNBDGroup sums the per-customer predictions for one segment or first touchpoint.
type BGNBDGroup struct {
	Value                  string   `json:"value"`
	Customers              int64    `json:"customers"`
	ExpectedPurchases      float64  `json:"expected_purchases"`
	ExpectedRevenue        *float64 `json:"expected_revenue"`
	CustomersOrderingAgain float64  `json:"customers_ordering_again"`
	POrdersAgain           float64  `json:"p_orders_again"`
	AtRisk                 int64    `json:"at_risk"`
	// NewCustomers are the group's customers whose first order falls in the report period;
	// ValuePerNewCustomer is what they brought in the period plus their expected revenue over the
	// horizon, per new customer (null without the spend model). By first touchpoint with spend,
	// CostPerNewCustomer is the touchpoint's spend in the period per new customer and
	// ValueToCost the ratio of the two.
	NewCustomers        int64    `json:"new_customers"`
	ValuePerNewCustomer *float64 `json:"value_per_new_customer"`
	CostPerNewCustomer  *float64 `json:"cost_per_new_customer,omitempty"`
	ValueToCost         *float64 `json:"value_to_cost,omitempty"`
}

// AttributionResult is the touchpoint attribution of the period's orders.
type AttributionResult struct {
	// Conversions are the orders in the period; NullPaths the active customers without one.
	Conversions int64                   `json:"conversions"`
	NullPaths   int64                   `json:"null_paths"`
	Revenue     float64                 `json:"revenue"`
	Models      []string                `json:"models"`
	Touchpoints []TouchpointAttribution `json:"touchpoints"`
	// SpendKnown says whether a spend input was read.
	SpendKnown bool `json:"spend_known"`
	// Metrics are the media metrics of the touchpoints with spend and their campaigns; absent
	// without a spend input (and in the periods compared with).
	Metrics []TouchpointMetrics `json:"metrics,omitempty"`
}

// TouchpointAttribution is one touchpoint's attributed conversions per model, its removal effect
// and, with spend, its cost efficiency.
type TouchpointAttribution struct {
	Touchpoint    string  `json:"touchpoint"`
	FirstTouch    float64 `json:"first_touch"`
	LastTouch     float64 `json:"last_touch"`
	Linear        float64 `json:"linear"`
	PositionBased float64 `json:"position_based"`
	TimeDecay     float64 `json:"time_decay"`
	Markov        float64 `json:"markov"`
	RemovalEffect float64 `json:"removal_effect"`
	// Revenue is the attributed revenue per model (keys as in Models).
	Revenue map[string]float64 `json:"revenue"`
	// CustomersReached are distinct customers with an event at this touchpoint in the period.
	CustomersReached int64 `json:"customers_reached"`
	// Cost is the spend in the period (nil without spend); CPA and ROAS per model.
	Cost *float64            `json:"cost"`
	CPA  map[string]*float64 `json:"cpa,omitempty"`
	ROAS map[string]*float64 `json:"roas,omitempty"`
}

// AllocationResult is where resources should go.
type AllocationResult struct {
	// CloseGap is the share of a gap the stage opportunities and pain points count on closing
	// (allocation.close_gap).
	CloseGap         float64            `json:"-"`
	Recommendations  []Recommendation   `json:"recommendations"`
	StageOpportunity []StageOpportunity `json:"stage_opportunity"`
	// ResponseCurves are the paid touchpoints' response curves (Markov-attributed daily revenue
	// against daily spend) with each model's marginal ROAS at today's spend; empty without spend.
	ResponseCurves []ResponseCurve `json:"response_curves"`
	// BudgetShifts are the moves between paid touchpoints the Markov curves find, recommended or
	// not (NotRecommended says why).
	BudgetShifts []BudgetShift `json:"budget_shifts"`
	Efficiency   []Efficiency  `json:"efficiency"`
}

// ResponseCurve is one paid touchpoint's fitted response of daily Markov-attributed revenue to
// daily spend, R(s) = β·(s/(1−θ))^α / ((s/(1−θ))^α + κ^α) in steady state: whether the data
// identify it, the fit, and the marginal ROAS at today's spend under each model (the curve's
// slope where identified, else the period's average ROAS).
type ResponseCurve struct {
	Touchpoint string `json:"touchpoint"`
	// Days, SpendLevels and RevenueDays are what the identification rules read: days in the
	// series, distinct daily spends, days with attributed revenue.
	Days        int64 `json:"days"`
	SpendLevels int64 `json:"spend_levels"`
	RevenueDays int64 `json:"revenue_days"`
	// CurrentDailySpend is today's spend: the mean daily spend of the report period, or of the
	// last 28 days up to its end when the period is shorter.
	CurrentDailySpend float64 `json:"current_daily_spend"`
	// Identified says whether the data pin the curve down; Reason (a FitReason code, with the
	// numbers behind it) why not.
	Identified bool      `json:"identified"`
	Reason     FitReason `json:"reason,omitempty"`
	Have       float64   `json:"-"`
	Need       float64   `json:"-"`
	Param      string    `json:"param,omitempty"`
	// Beta is the daily revenue at unlimited spend, Kappa the adstocked daily spend earning half
	// of it, Alpha the shape, Theta the share of a day's spend still at work the next day;
	// RSquared the share of the revenue's sum of squares the curve explains. Null when not
	// identified.
	Beta     *float64 `json:"beta"`
	Alpha    *float64 `json:"alpha"`
	Kappa    *float64 `json:"kappa"`
	Theta    *float64 `json:"theta"`
	RSquared *float64 `json:"r_squared"`
	// MarginalROAS is, per attribution model, what the next unit of daily spend earns at today's
	// spend.
	MarginalROAS map[string]*float64 `json:"marginal_roas"`
}

// Bases of a touchpoint's returns in a budget shift.
const (
	ResponseBasisCurve   = "curve"
	ResponseBasisAverage = "average_roas"
)

// Recommendation is one action with its number and the KPI it comes from. kpi fills the numbers
// and exactly one of the subject fields (by Kind); reports words it as one plain sentence (Text).
type Recommendation struct {
	Rank  int     `json:"rank"`
	Kind  string  `json:"kind"` // stage_opportunity | budget_shift | pain_point
	Text  string  `json:"text"`
	Value float64 `json:"value"`
	KPI   string  `json:"kpi"`

	// Opportunity is the group and step a stage_opportunity closes part of the gap of.
	Opportunity *StageOpportunity `json:"-"`
	// Shift is the spend a budget_shift moves, with the two touchpoints' ROAS.
	Shift *ShiftSubject `json:"-"`
	// Reach is a budget_shift without spend: customers reached through another touchpoint.
	Reach *ReachSubject `json:"-"`
	// PainPoint is the journey-map pain point a pain_point is about.
	PainPoint *PainSubject `json:"-"`
}

// ShiftSubject is a recommended budget shift.
type ShiftSubject = BudgetShift

// ReachSubject moves Share of the customers Worst reaches to Best: Moved customers, each worth
// BestPerCustomer instead of WorstPerCustomer, for Gain more revenue.
type ReachSubject struct {
	Best, Worst                       string
	BestPerCustomer, WorstPerCustomer float64
	Share                             float64
	WorstReached                      int64
	Moved, Gain                       float64
}

// PainSubject is a pain point: the cell, its stage's mean sentiment, the drop-off after it and
// its value.
type PainSubject = PainPoint

// StageOpportunity is a group whose conversion at one step falls short of a benchmark by more
// than chance, and what closing part of the gap is worth.
type StageOpportunity struct {
	Step  string `json:"step"` // "interest → comparison"
	From  string `json:"from"`
	Stage string `json:"stage"`
	// By is the breakdown of the group (first_touchpoint, segment, a dimension), or "period" for
	// all the step's customers measured against the step's best recent period; Group is the
	// breakdown value ("" for "period").
	By    string `json:"by"`
	Group string `json:"group"`
	// Entrants are the group's customers at the previous stage; Reached those who reached the
	// stage; Conversion is Reached/Entrants, Interval its 95% Wilson interval.
	Entrants   int64    `json:"entrants"`
	Reached    int64    `json:"reached"`
	Conversion float64  `json:"conversion"`
	Interval   Interval `json:"interval"`
	// Benchmark is the conversion measured against: BenchmarkKind best_quartile (BenchmarkOf names
	// the breakdown's best values) or best_recent_period (BenchmarkOf is the period's first and
	// last day). Gap is Benchmark − Conversion.
	Benchmark     float64  `json:"benchmark"`
	BenchmarkKind string   `json:"benchmark_kind"`
	BenchmarkOf   []string `json:"benchmark_of"`
	Gap           float64  `json:"gap"`
	// ExtraCustomers is allocation.close_gap × Gap × Entrants: the customers closing that share of
	// the gap brings to the stage; each is worth ValuePerCustomer, Value in all.
	ExtraCustomers   float64 `json:"extra_customers"`
	ValuePerCustomer float64 `json:"value_per_customer"`
	Value            float64 `json:"value"`
}

// BudgetShift moves daily spend from the touchpoint whose next unit earns less to the one whose
// next unit earns more, under the Markov curves.
type BudgetShift struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Amount is moved per day (WeeklyAmount per week); ExpectedRevenueChange is the daily
	// revenue it adds under the curves, TestRevenueChange that over a four-week test.
	Amount                float64 `json:"amount"`
	WeeklyAmount          float64 `json:"weekly_amount"`
	ExpectedRevenueChange float64 `json:"expected_revenue_change"`
	TestRevenueChange     float64 `json:"test_revenue_change"`
	// FromMarginalROAS and ToMarginalROAS are what the next unit of spend earns at today's spend
	// (Markov); ToMarginalROASAfter the receiving one's after the move. FromBasis and ToBasis say
	// whether they come from a curve or, where none is identified, the average ROAS.
	FromMarginalROAS    float64 `json:"from_marginal_roas"`
	ToMarginalROAS      float64 `json:"to_marginal_roas"`
	ToMarginalROASAfter float64 `json:"to_marginal_roas_after"`
	FromBasis           string  `json:"from_basis"`
	ToBasis             string  `json:"to_basis"`
	// BreakEvenROAS is 1/allocation.margin, null when no margin is given.
	BreakEvenROAS *float64 `json:"break_even_roas"`
	// Recommended says whether the shift is an action; NotRecommended why not: direction_differs
	// (some attribution model disagrees), too_small (under 5% of the giver's spend),
	// below_break_even.
	Recommended    bool   `json:"recommended"`
	NotRecommended string `json:"not_recommended,omitempty"`
}

// Efficiency is a touchpoint's Markov-attributed revenue per unit of spend (or per customer
// reached when there is no spend), against the overall average.
type Efficiency struct {
	Touchpoint string   `json:"touchpoint"`
	Revenue    float64  `json:"revenue"`
	Cost       *float64 `json:"cost"`
	Reached    int64    `json:"customers_reached"`
	Efficiency *float64 `json:"efficiency"`
	Relative   *float64 `json:"relative_to_average"`
	Basis      string   `json:"basis"` // roas | revenue_per_customer
}

// ComparisonResult sets the headline KPIs beside the previous period's and the year-ago period's.
type ComparisonResult struct {
	// MinChange and MinMature are the thresholds the verdicts used (comparison.min_change,
	// comparison.min_mature).
	MinChange float64    `json:"min_change"`
	MinMature float64    `json:"min_mature"`
	Headline  []Headline `json:"headline"`
	// Funnel compares each stage's conversion from entry with the previous period.
	Funnel []StageComparison `json:"funnel"`
	// WhatMoved splits the change in purchase conversion and in revenue into mix and rate
	// effects by first touchpoint and by segment.
	WhatMoved WhatMoved `json:"what_moved"`
	// Recent are the headline KPIs of the periods of the report's kind up to this one, oldest
	// first, each against the one before it: the sparklines. Periods the data do not wholly cover
	// are left out.
	Recent   []PeriodHeadline `json:"recent"`
	Previous PeriodResult     `json:"previous"`
	// YearAgo is the same blocks for the same period a year earlier; nil when not compared
	// (report.year_ago says why).
	YearAgo *PeriodResult `json:"year_ago"`
}

// Verdicts on a change (Headline.Verdict, RateChange.Verdict). Only better and worse are coloured.
const (
	// VerdictBetter and VerdictWorse: significant at 5% and at least comparison.min_change in
	// relative size, both values mature and comparable.
	VerdictBetter = "better"
	VerdictWorse  = "worse"
	// VerdictWithinNoise: the change could be chance (p ≥ 0.05).
	VerdictWithinNoise = "within_noise"
	// VerdictSmall: significant but smaller than comparison.min_change.
	VerdictSmall = "below_min_change"
	// VerdictImmature: a value rests on entrants fewer than comparison.min_mature of whom have had
	// their whole window.
	VerdictImmature = "immature"
	// VerdictHistoryShort: the returning customer rate of a period whose repeat.history reaches
	// before the data.
	VerdictHistoryShort = "history_short"
	// VerdictBeforeData: a period compared starts before the data do, so its values are partial.
	VerdictBeforeData = "before_data"
	// VerdictIncomplete: the data end before the report period's last day.
	VerdictIncomplete = "period_incomplete"
	// VerdictNotTested: a value known exactly (spend), with no sampling noise to test.
	VerdictNotTested = "not_tested"
	// VerdictMissing: a value is missing, so there is nothing to compare.
	VerdictMissing = "undetermined"
)

// Basis of a headline conversion.
const (
	BasisPeriod       = "period"
	BasisMatureCohort = "mature_cohort"
)

// Headline is one headline KPI now, with its 95% interval, against the previous period and the
// year-ago period.
type Headline struct {
	Key    string `json:"key"`
	Label  string `json:"label"`
	Format string `json:"format"` // count | percent | money | number
	// Current is the value shown; Interval its 95% interval (Wilson for rates, exact Poisson for
	// counts, delta method for money), nil when not defined or exact.
	Current  *float64  `json:"current"`
	Interval *Interval `json:"interval"`
	// Basis is mature_cohort when the period's own entrants were immature and the value is that of
	// the mature cohort (entrants of [from − W, to − W]); otherwise period.
	Basis string `json:"basis"`
	// Mature says whether the value shown rests on entrants at least comparison.min_mature of
	// whom have had their whole window, and for the returning customer rate whether the data
	// reach back repeat.history before the period; MatureShare is that share for the period's own
	// entrants (funnel KPIs only, nil otherwise).
	Mature      bool     `json:"mature"`
	MatureShare *float64 `json:"mature_share"`
	Previous    *float64 `json:"previous"`
	// Change is current − previous (for a rate, in points of the 0..1 fraction); RelativeChange
	// is Change / |previous|. DailyRelativeChange is the relative change of the daily rate, set
	// for counts and money totals when the two periods differ in length: the test and the verdict
	// are on it.
	Change              *float64 `json:"change"`
	RelativeChange      *float64 `json:"relative_change"`
	DailyRelativeChange *float64 `json:"daily_relative_change"`
	// PValue is the two-sided p-value of the change; Significant is PValue < 0.05.
	PValue      *float64 `json:"p_value"`
	Significant bool     `json:"significant"`
	// Verdict is one of the Verdict codes: better and worse are coloured, the rest grey.
	Verdict string `json:"verdict"`
	// HigherIsBetter tells which way is better.
	HigherIsBetter bool `json:"higher_is_better"`
	// YearAgo compares with the same period a year earlier; nil when not compared.
	YearAgo *Versus `json:"year_ago"`
}

// Versus is a headline KPI's comparison with another period.
type Versus struct {
	Value               *float64 `json:"value"`
	Change              *float64 `json:"change"`
	RelativeChange      *float64 `json:"relative_change"`
	DailyRelativeChange *float64 `json:"daily_relative_change"`
	PValue              *float64 `json:"p_value"`
	Significant         bool     `json:"significant"`
	Verdict             string   `json:"verdict"`
}

// PeriodHeadline is the headline KPIs of one period, against the period before it in its list.
type PeriodHeadline struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Partial marks a period cut by the report's range (run --by) or not wholly in the data.
	Partial  bool       `json:"partial"`
	Headline []Headline `json:"headline"`
}

// StageComparison is one stage's conversion from entry against the previous period.
type StageComparison struct {
	Stage    string `json:"stage"`
	Optional bool   `json:"optional"`
	RateChange
}

// WhatMoved explains the change in purchase conversion and in revenue against the previous period.
type WhatMoved struct {
	Conversion Decomposition `json:"conversion"`
	Revenue    Decomposition `json:"revenue"`
}

// Decomposition splits a change into mix and rate effects by group, for each breakdown. For the
// conversion a group's weight is its share of entrants and its rate its conversion; for revenue the
// weight is its purchasers and the rate its revenue per purchaser. With midpoint weights the
// effects of each breakdown add up exactly to the change:
//
//	mix = (w₁ − w₀)·(r₁ + r₀)/2,  rate = (r₁ − r₀)·(w₁ + w₀)/2
//
// (a group absent from one period takes the other period's rate, so its whole contribution is
// mix).
type Decomposition struct {
	// Basis is mature_cohort when the conversion is that of the mature cohorts (as the headline).
	Basis    string         `json:"basis"`
	Current  *float64       `json:"current"`
	Previous *float64       `json:"previous"`
	Change   *float64       `json:"change"`
	By       []MixBreakdown `json:"by"`
	Top      []MixEffect    `json:"top"`
}

// MixBreakdown is the decomposition by one breakdown (first_touchpoint, segment): the groups with
// the largest effects (funnel.top), the rest summed as "(other)".
type MixBreakdown struct {
	By     string     `json:"by"`
	Groups []MixGroup `json:"groups"`
}

// MixGroup is one group's weight and rate in both periods and its two effects.
type MixGroup struct {
	Value        string   `json:"value"`
	Weight       float64  `json:"weight"`
	WeightBefore float64  `json:"weight_before"`
	Rate         *float64 `json:"rate"`
	RateBefore   *float64 `json:"rate_before"`
	Mix          float64  `json:"mix"`
	RateEffect   float64  `json:"rate_effect"`
}

// MixEffect is one of the largest single effects: a group's mix or rate effect.
type MixEffect struct {
	By     string  `json:"by"`
	Effect string  `json:"effect"` // mix | rate
	Amount float64 `json:"amount"`
	MixGroup
}

// DataQuality says what was read and what was rejected.
type DataQuality struct {
	RowsRead         int64            `json:"rows_read"`
	RowsRejected     int64            `json:"rows_rejected"`
	RejectedByReason map[string]int64 `json:"rejected_by_reason"`
	// RowsFiltered were read and left out by source.where (not errors).
	RowsFiltered int64 `json:"rows_filtered"`
	// Duplicates are rows equal in every contract column to an earlier row (counted once).
	Duplicates int64 `json:"duplicates"`
	// DuplicateOrderEvents are purchase events repeating an order_id already seen.
	DuplicateOrderEvents int64 `json:"duplicate_order_events"`
	// OrdersRevenueDiffers are orders whose events carry different revenue values, of which
	// only the first counts (source.order_lines: first): a line-item source read as orders.
	OrdersRevenueDiffers int64 `json:"orders_revenue_differs"`
	// RowsOutsideRange were read but fall outside the range the report needs.
	RowsOutsideRange int64 `json:"rows_outside_range"`
	RowsUsed         int64 `json:"rows_used"`
	Customers        int64 `json:"customers"`
	// Unmatched are events whose event_name matches no stage (kept as touches).
	Unmatched int64 `json:"unmatched_events"`
	// LeftOut are rows the source left out by design, by reason (the GA4 preset's rows without a
	// client id, which consent mode sends): counted, not rejected.
	LeftOut map[string]int64 `json:"left_out,omitempty"`
	// SpendRows and SpendRejected count the spend input.
	SpendRows     int64 `json:"spend_rows"`
	SpendRejected int64 `json:"spend_rejected"`
}

// Ptr returns a pointer to v, for the nullable numbers of a Result.
func Ptr(v float64) *float64 { return &v }

// Ratio returns num/den, or nil when den is 0.
func Ratio(num, den float64) *float64 {
	if den == 0 {
		return nil
	}
	return Ptr(num / den)
}
