package kpi

import (
	"cmp"
	"math"
	"slices"
)

// TouchpointMetrics are the media metrics of one paid touchpoint (Campaign "") or one of its
// campaigns in the report period: what the spend input gives (cost, impressions, clicks) set
// against the customers who entered the funnel there (the touchpoint and campaign of their
// attempt's first event). A null ratio has no denominator; impressions and clicks are null when
// the spend input gives none.
type TouchpointMetrics struct {
	Touchpoint  string   `json:"touchpoint"`
	Campaign    string   `json:"campaign"`
	Cost        float64  `json:"cost"`
	Impressions *float64 `json:"impressions"`
	Clicks      *float64 `json:"clicks"`
	// CPM is the cost per thousand impressions, CTR clicks per impression, CPC cost per click.
	CPM *float64 `json:"cpm"`
	CTR *float64 `json:"ctr"`
	CPC *float64 `json:"cpc"`
	// Entrants entered the funnel here; Purchasers are those of them who reached the purchase
	// stage, Revenue the revenue of those orders.
	Entrants   int64   `json:"entrants"`
	Purchasers int64   `json:"purchasers"`
	Revenue    float64 `json:"revenue"`
	// CostPerEntrant, CPA (cost per purchaser) and ROAS (Revenue per unit of cost) of the
	// entrants: the first-touch view, whatever the attribution models credit.
	CostPerEntrant *float64 `json:"cost_per_entrant"`
	CPA            *float64 `json:"cpa"`
	ROAS           *float64 `json:"roas"`
}

// PaidEntry is the top of the funnel for the paid touchpoints: impressions, clicks and the
// customers who entered the funnel through them, in the report period.
type PaidEntry struct {
	Cost        float64  `json:"cost"`
	Impressions *float64 `json:"impressions"`
	Clicks      *float64 `json:"clicks"`
	Entrants    int64    `json:"entrants"`
	// CTR is clicks per impression; EntrantsPerClick entrants per click.
	CTR              *float64 `json:"ctr"`
	EntrantsPerClick *float64 `json:"entrants_per_click"`
}

// metricsSums add up a touchpoint's or campaign's spend rows and entrants.
type metricsSums struct {
	cost, imp, clk   exactSum
	hasImp, hasClk   bool
	entrants, bought int64
	revenue          exactSum
}

func (m *metricsSums) row(tp, campaign string) TouchpointMetrics {
	r := TouchpointMetrics{Touchpoint: tp, Campaign: campaign, Cost: m.cost.value(), Entrants: m.entrants, Purchasers: m.bought,
		Revenue: m.revenue.value()}
	if m.hasImp {
		r.Impressions = Ptr(m.imp.value())
		if *r.Impressions > 0 {
			r.CPM = Ptr(1000 * r.Cost / *r.Impressions)
		}
	}
	if m.hasClk {
		r.Clicks = Ptr(m.clk.value())
		if *r.Clicks > 0 {
			r.CPC = Ptr(r.Cost / *r.Clicks)
		}
		if r.Impressions != nil && *r.Impressions > 0 {
			r.CTR = Ptr(*r.Clicks / *r.Impressions)
		}
	}
	r.CostPerEntrant = Ratio(r.Cost, float64(r.Entrants))
	r.CPA = Ratio(r.Cost, float64(r.Purchasers))
	r.ROAS = Ratio(r.Revenue, r.Cost)
	return r
}

func (m *metricsSums) merge(o *metricsSums) {
	m.cost.merge(&o.cost)
	m.imp.merge(&o.imp)
	m.clk.merge(&o.clk)
	m.hasImp = m.hasImp || o.hasImp
	m.hasClk = m.hasClk || o.hasClk
	m.entrants += o.entrants
	m.bought += o.bought
	m.revenue.merge(&o.revenue)
}

// touchpointMetrics computes the media metrics of each touchpoint with spend in the period and of
// its campaigns (the top campaigns by cost, the rest as "(other)"), and the paid top of the
// funnel. Touchpoints come by cost, highest first. It returns nil, nil without a spend input.
func touchpointMetrics(p *Params, f *funnelAcc, spend []SpendRow, d *Dicts) ([]TouchpointMetrics, *PaidEntry) {
	if spend == nil {
		return nil, nil
	}
	type key struct{ tp, campaign string }
	byTP := map[string]*metricsSums{}
	byCampaign := map[key]*metricsSums{}
	get := func(m map[key]*metricsSums, k key) *metricsSums {
		s := m[k]
		if s == nil {
			s = &metricsSums{}
			m[k] = s
		}
		return s
	}
	withCampaigns := map[string]bool{}
	for _, r := range spend {
		if !p.Current.Contains(r.Day) || math.IsNaN(r.Cost) || math.IsInf(r.Cost, 0) {
			continue
		}
		tp := r.Touchpoint
		if tp == "" {
			tp = NoneLabel
		}
		camp := r.Campaign
		if camp == "" {
			camp = NoneLabel
		} else {
			withCampaigns[tp] = true
		}
		t := byTP[tp]
		if t == nil {
			t = &metricsSums{}
			byTP[tp] = t
		}
		c := get(byCampaign, key{tp, camp})
		for _, s := range []*metricsSums{t, c} {
			s.cost.add(r.Cost)
			if !math.IsNaN(r.Impressions) {
				s.imp.add(r.Impressions)
				s.hasImp = true
			}
			if !math.IsNaN(r.Clicks) {
				s.clk.add(r.Clicks)
				s.hasClk = true
			}
		}
	}
	for k, ec := range f.entries {
		tp := d.TouchpointName(k.tp)
		t := byTP[tp]
		if t == nil {
			continue // no spend: not a paid touchpoint
		}
		camp := d.Campaign.Name(k.campaign)
		if camp == "" {
			camp = NoneLabel
		}
		for _, s := range []*metricsSums{t, get(byCampaign, key{tp, camp})} {
			s.entrants += ec.entrants
			s.bought += ec.purchasers
			s.revenue.merge(&ec.revenue)
		}
	}

	tps := make([]string, 0, len(byTP))
	for tp := range byTP {
		tps = append(tps, tp)
	}
	cost := func(s *metricsSums) float64 { return s.cost.value() }
	slices.SortFunc(tps, func(a, b string) int {
		if c := cmp.Compare(cost(byTP[b]), cost(byTP[a])); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	var top metricsSums
	out := []TouchpointMetrics{}
	for _, tp := range tps {
		t := byTP[tp]
		top.merge(t)
		out = append(out, t.row(tp, ""))
		if !withCampaigns[tp] {
			continue
		}
		var camps []string
		for k := range byCampaign {
			if k.tp == tp {
				camps = append(camps, k.campaign)
			}
		}
		slices.SortFunc(camps, func(a, b string) int {
			if c := cmp.Compare(cost(byCampaign[key{tp, b}]), cost(byCampaign[key{tp, a}])); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		var other *metricsSums
		for i, c := range camps {
			s := byCampaign[key{tp, c}]
			if p.Top > 0 && i >= p.Top {
				if other == nil {
					other = &metricsSums{}
				}
				other.merge(s)
				continue
			}
			out = append(out, s.row(tp, c))
		}
		if other != nil {
			out = append(out, other.row(tp, OtherLabel))
		}
	}
	entry := &PaidEntry{Cost: top.cost.value(), Entrants: top.entrants}
	if top.hasImp {
		entry.Impressions = Ptr(top.imp.value())
	}
	if top.hasClk {
		entry.Clicks = Ptr(top.clk.value())
		entry.EntrantsPerClick = Ratio(float64(top.entrants), *entry.Clicks)
		if entry.Impressions != nil {
			entry.CTR = Ratio(*entry.Clicks, *entry.Impressions)
		}
	}
	return out, entry
}
